// Batch-action bar shown while tiles are selected.
import { h } from './dom';
import { plural } from './format';

export interface BatchAction {
  label: string;
  /** Full name (tooltip and accessible name) when the label is abbreviated. */
  title?: string;
  /** Only offered for a single selected tile. */
  single?: boolean;
  run: (ids: string[]) => void;
}

export class SelectionBar {
  readonly element: HTMLElement;
  private readonly count: HTMLElement;
  private readonly buttons: { action: BatchAction; el: HTMLElement }[];
  private ids: string[] = [];

  constructor(actions: BatchAction[], onClear: () => void) {
    this.count = h('vscode-badge', { class: 'count' });
    this.buttons = actions.map((action) => {
      const el = h('vscode-button', { secondary: true, title: action.title, 'aria-label': action.title }, action.label);
      el.addEventListener('click', () => action.run(this.ids));
      return { action, el };
    });
    const clear = h('vscode-button', { secondary: true, title: 'Clear selection (Escape)', 'aria-label': 'Clear selection' }, '✕');
    clear.addEventListener('click', onClear);
    this.element = h('div', { class: 'selection-bar', role: 'toolbar', 'aria-label': 'Selected images', hidden: true }, this.count, ...this.buttons.map((b) => b.el), clear);
  }

  update(ids: string[]): void {
    this.ids = ids;
    this.element.hidden = ids.length === 0;
    this.count.textContent = `${plural(ids.length, 'selected', 'selected')}`;
    for (const b of this.buttons) b.el.hidden = Boolean(b.action.single) && ids.length !== 1;
  }
}
