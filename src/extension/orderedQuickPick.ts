// Quick picks that list their items in the order we give them. VS Code re-sorts a quick pick's
// items by where the typed text matches their labels while filtering (`sortByLabel`, default
// true), which put a blue image *named* red-herring.png above the red images a search ranked
// first. `QuickPick.sortByLabel` is still a proposed API (quickPickSortByLabel,
// microsoft/vscode#73904) and not in @types/vscode, but the extension host's QuickPick has
// implemented the setter without a proposal check since 2019 (checked in code-server 4.139's
// extension host, VS Code 1.139.1) and VS Code's own ranked pickers set it; `showQuickPick` does
// not pass it on, hence createQuickPick. Feature-detected: on a host without it, items fall back
// to the label order while text is typed.
import * as vscode from 'vscode';

interface SortableQuickPick {
  sortByLabel: boolean;
}

/** createQuickPick, with VS Code's re-sorting by label turned off. */
export function createOrderedQuickPick<T extends vscode.QuickPickItem>(): vscode.QuickPick<T> {
  const pick = vscode.window.createQuickPick<T>();
  if ('sortByLabel' in pick) (pick as vscode.QuickPick<T> & SortableQuickPick).sortByLabel = false;
  return pick;
}

export interface OrderedPickOptions {
  title?: string;
  placeholder?: string;
  matchOnDescription?: boolean;
  matchOnDetail?: boolean;
}

/** showQuickPick for one item, keeping the items' order while the user types. */
export function showOrderedQuickPick<T extends vscode.QuickPickItem>(items: readonly T[], options: OrderedPickOptions = {}): Promise<T | undefined> {
  const pick = createOrderedQuickPick<T>();
  pick.title = options.title;
  pick.placeholder = options.placeholder;
  pick.matchOnDescription = options.matchOnDescription ?? false;
  pick.matchOnDetail = options.matchOnDetail ?? false;
  pick.items = items;
  return new Promise((resolve) => {
    let chosen: T | undefined;
    pick.onDidAccept(() => {
      chosen = pick.selectedItems[0] ?? pick.activeItems[0];
      if (chosen) pick.hide();
    });
    pick.onDidHide(() => {
      pick.dispose();
      resolve(chosen);
    });
    pick.show();
  });
}
