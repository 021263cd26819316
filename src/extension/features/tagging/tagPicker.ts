// The "Edit Tags" picker: rows open at once from the recorded tags; live scores replace them when
// they arrive, keeping what the user checked so far. Typing filters the tags but keeps their
// sections and score order (and the separators, which VS Code drops when it re-sorts by label).
import * as vscode from 'vscode';
import { createOrderedQuickPick } from '../../orderedQuickPick';
import { TagPickerModel, type PickerRow } from './editPlan';

interface TagItem extends vscode.QuickPickItem {
  row: PickerRow;
}

export interface PickedTags {
  initial: ReadonlySet<string>;
  final: ReadonlySet<string>;
}

/** Resolves to the tags checked at the start and at the end, or undefined when dismissed. */
export function pickTags(title: string, rows: PickerRow[], live: Promise<{ rows: PickerRow[]; note?: string } | undefined>): Promise<PickedTags | undefined> {
  const model = new TagPickerModel(rows);
  const qp = createOrderedQuickPick<TagItem>();
  qp.title = title;
  qp.canSelectMany = true;
  qp.matchOnDescription = false;
  qp.placeholder = 'Check the tags to keep; type to filter or to add new tags (comma-separated)';
  qp.busy = true;
  const render = renderer(qp, model);
  render(true);
  return new Promise((resolve) => {
    let result: PickedTags | undefined;
    const subs = [
      qp.onDidChangeValue((value) => {
        model.setValue(value);
        render();
      }),
      qp.onDidChangeSelection((items) => {
        model.setSelection(items.map((i) => i.row.tag));
        if (items.some((i) => i.row.kind === 'new')) render();
      }),
      qp.onDidAccept(() => {
        result = { initial: model.initial, final: model.result(qp.value) };
        qp.hide();
      }),
      qp.onDidHide(() => {
        for (const s of subs) s.dispose();
        qp.dispose();
        resolve(result);
      }),
    ];
    void live.then(
      (r) => {
        if (result !== undefined) return;
        if (r) {
          model.replaceRows(r.rows);
          render();
          if (r.note) qp.title = `${title} — ${r.note}`;
        }
        qp.busy = false;
      },
      () => (qp.busy = false),
    );
    qp.show();
  });
}

/** Puts the model's rows into the picker; only when they changed, since re-creating the items while typing resets the list's scroll. */
function renderer(qp: vscode.QuickPick<TagItem>, model: TagPickerModel): (force?: boolean) => void {
  let shown = '';
  return (force = false) => {
    const next = model.rows();
    const key = next.map((r) => `${r.kind}:${r.tag}:${r.label}:${r.description ?? ''}`).join('\n');
    if (!force && key === shown) return;
    shown = key;
    const items: TagItem[] = next.map((row) =>
      row.kind === 'separator'
        ? { row, label: row.label, kind: vscode.QuickPickItemKind.Separator }
        : { row, label: row.label, description: row.description, picked: row.picked, alwaysShow: row.alwaysShow },
    );
    qp.items = items;
    qp.selectedItems = items.filter((i) => i.row.kind !== 'separator' && i.row.picked);
  };
}
