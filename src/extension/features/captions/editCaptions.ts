// "Edit Captions" (Explorer, gallery tiles, the active image): one image's captions in a quick pick
// (Enter or the pencil edits, the bin removes, "Add" adds), or for several images a caption added
// to all of them or one image picked to edit. Edits are the user's captions: regenerating never
// replaces them.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { addUserCaption, editCaption, loadCaptionStore, relativeCaptionPath, removeCaption, updateCaptionStore } from '../../../engine/captions';
import { commandId } from '../../commands/ids';
import { isImageFile } from '../../paths';
import { activeOrPickedImages, workspaceRoots } from '../../workspace';
import type { CaptionIndex } from './captionIndex';
import { groupByCaptionRoot } from './captionPlan';

interface CaptionItem extends vscode.QuickPickItem {
  action: 'add' | 'edit' | 'generate' | 'image' | 'addAll';
  caption?: string;
  image?: string;
}

const EDIT_BUTTON: vscode.QuickInputButton = { iconPath: new vscode.ThemeIcon('edit'), tooltip: 'Edit' };
const REMOVE_BUTTON: vscode.QuickInputButton = { iconPath: new vscode.ThemeIcon('trash'), tooltip: 'Remove' };

export async function editCaptions(targets: string[], index: CaptionIndex): Promise<void> {
  if (!targets.length) targets = await activeOrPickedImages('Edit Captions', false);
  if (!targets.length) return;
  const images = targets.filter(isImageFile);
  if (!images.length) throw new Error('Right-click an image (in the Explorer or the gallery) to edit its captions.');
  if (images.length === 1) return editOne(images[0]!, index);
  // Several images: add one caption to all, or pick one to edit.
  for (;;) {
    const items: CaptionItem[] = [
      { action: 'addAll', label: `$(add) Add a caption to all ${images.length} images…` },
      { action: 'image', label: '', kind: vscode.QuickPickItemKind.Separator },
      ...images.map((image): CaptionItem => {
        const n = index.captionsOf(image).length;
        return {
          action: 'image',
          image,
          label: path.basename(image),
          description: n ? `${n} caption${n === 1 ? '' : 's'}` : 'no captions',
          detail: vscode.workspace.asRelativePath(image),
        };
      }),
    ];
    const pick = await vscode.window.showQuickPick(items, { title: 'Edit Captions', placeHolder: 'Choose an image to edit its captions' });
    if (!pick) return;
    if (pick.action === 'addAll') {
      const text = await vscode.window.showInputBox({
        title: `Add a caption to ${images.length} images`,
        prompt: 'Stored as your caption: regenerating never replaces it.',
        validateInput: nonEmpty,
      });
      if (!text) continue;
      await addToAll(images, text, index);
      return;
    }
    if (pick.image) await editOne(pick.image, index);
  }
}

/** Palette invocation: the image in the active editor, else images the user picks. */

async function addToAll(images: readonly string[], text: string, index: CaptionIndex): Promise<void> {
  const byRoot = new Map<string, string[]>();
  for (const image of images) {
    const root = captionRootFor(index, image);
    byRoot.set(root, [...(byRoot.get(root) ?? []), image]);
  }
  for (const [root, list] of byRoot) {
    await saveEdit(root, index, (s) => {
      for (const image of list) addUserCaption(s, relativeCaptionPath(root, image), text);
    });
  }
}

/** The folder whose captions file holds (or will hold) an image's captions. */
function captionRootFor(index: CaptionIndex, absPath: string): string {
  return index.rootWithCaptions(absPath) ?? groupByCaptionRoot([{ path: absPath, selectedFrom: path.dirname(absPath) }], workspaceRoots(), index.roots)[0]!.root;
}

function nonEmpty(value: string): string | undefined {
  return value.trim() ? undefined : 'A caption cannot be empty.';
}

async function saveEdit(root: string, index: CaptionIndex, change: Parameters<typeof updateCaptionStore>[1]): Promise<void> {
  const store = await updateCaptionStore(root, change);
  await index.fileChanged(store.file);
}

/** A QuickPick over one image's captions until the user is done. */
async function editOne(image: string, index: CaptionIndex): Promise<void> {
  const root = captionRootFor(index, image);
  const rel = relativeCaptionPath(root, image);
  const name = path.basename(image);
  for (;;) {
    const store = await loadCaptionStore(root);
    const entry = store.images.get(rel) ?? { generated: [], user: [] };
    const count = entry.user.length + entry.generated.length;
    const choice = await pickWithButtons(captionItems(entry), `Captions of ${name}`, count ? 'Enter edits a caption; the bin removes it' : 'No captions yet');
    if (!choice) return;
    const { item, button } = choice;
    if (item.action === 'generate') {
      await vscode.commands.executeCommand(commandId('generateCaptions'), vscode.Uri.file(image), [vscode.Uri.file(image)]);
    } else if (item.action === 'add') {
      const text = await vscode.window.showInputBox({ title: `Add a caption to ${name}`, validateInput: nonEmpty });
      if (text) await saveEdit(root, index, (s) => addUserCaption(s, rel, text));
    } else if (item.caption !== undefined) {
      const caption = item.caption;
      if (button === REMOVE_BUTTON) {
        await saveEdit(root, index, (s) => removeCaption(s, rel, caption));
        continue;
      }
      const text = await vscode.window.showInputBox({
        title: `Edit caption of ${name}`,
        value: caption,
        validateInput: nonEmpty,
        prompt: 'Saved as your caption: regenerating never replaces it. Clear it and use the bin to remove a caption.',
      });
      if (text && text.trim() !== caption) await saveEdit(root, index, (s) => editCaption(s, rel, caption, text));
    }
  }
}

function captionItems(entry: { user: readonly string[]; generated: readonly string[] }): CaptionItem[] {
  const items: CaptionItem[] = [
    { action: 'add', label: '$(add) Add a caption…', description: 'stored as yours: regenerating never replaces it' },
    { action: 'generate', label: '$(sparkle) Generate synthetic captions', description: entry.generated.length ? 'refresh if the image or the settings changed' : undefined },
  ];
  if (entry.user.length || entry.generated.length) items.push({ action: 'edit', label: '', kind: vscode.QuickPickItemKind.Separator });
  for (const caption of entry.user) items.push({ action: 'edit', caption, label: caption, description: 'yours', buttons: [EDIT_BUTTON, REMOVE_BUTTON] });
  for (const caption of entry.generated) items.push({ action: 'edit', caption, label: caption, description: 'generated', buttons: [EDIT_BUTTON, REMOVE_BUTTON] });
  return items;
}

/** One choice from a QuickPick whose items have buttons. */
function pickWithButtons(items: CaptionItem[], title: string, placeholder: string): Promise<{ item: CaptionItem; button?: vscode.QuickInputButton } | undefined> {
  return new Promise((resolve) => {
    const qp = vscode.window.createQuickPick<CaptionItem>();
    qp.title = title;
    qp.placeholder = placeholder;
    qp.items = items;
    qp.matchOnDescription = true;
    let result: { item: CaptionItem; button?: vscode.QuickInputButton } | undefined;
    const subs = [
      qp.onDidAccept(() => {
        const item = qp.selectedItems[0] ?? qp.activeItems[0];
        if (!item) return;
        result = { item };
        qp.hide();
      }),
      qp.onDidTriggerItemButton((e) => {
        result = { item: e.item, button: e.button };
        qp.hide();
      }),
      qp.onDidHide(() => {
        for (const s of subs) s.dispose();
        qp.dispose();
        resolve(result);
      }),
    ];
    qp.show();
  });
}
