// The webviews' AssetBackend, put together from the library (items, search, thumbnails, index
// progress), the model (status and its banner actions) and VS Code's file actions.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ModelAction } from '../../shared/messages';
import { commandId } from '../commands/ids';
import type { ModelPrompts } from '../model/prompts';
import type { ModelService } from '../model/service';
import type { AssetBackend, DuplicatesBackend, ResultSet } from '../webview/backend';
import { createFileActions } from '../webview/fileActions';
import type { AssetLibrary } from './assetLibrary';

/** The model actions of the gallery's banners and the Find Images rows (each indexes once the model is there). */
export class ModelActions {
  constructor(
    private readonly library: AssetLibrary,
    private readonly models: ModelService,
    private readonly prompts: ModelPrompts,
  ) {}

  /** Downloads the model, then indexes. `quiet`: the caller shows a failure itself (the Find Images rows). */
  async download(opts: { quiet?: boolean } = {}): Promise<void> {
    if (await this.prompts.download(opts)) await this.library.indexAll({ interactive: false });
  }

  async run(action: ModelAction): Promise<void> {
    switch (action) {
      case 'download':
        return this.download();
      case 'retry': {
        if (this.models.lastFailure()?.retry === 'download') return this.download();
        await this.models.refresh();
        await this.library.indexAll({ interactive: false });
        return;
      }
      case 'useLocalFolder':
        if (await this.prompts.useLocalFolder()) await this.library.indexAll({ interactive: false });
        return;
      case 'selectModel':
        await vscode.commands.executeCommand(commandId('selectModel'));
        return;
      case 'showDetails':
        return this.prompts.showDetails();
    }
  }

  /** Restart Inference Worker; without a usable model there is no worker to restart: say what the model needs instead. */
  async restartWorker(): Promise<void> {
    if (!(await this.models.restart()) && !(await this.prompts.requireEngine('The inference worker'))) return;
    await this.library.indexAll({ interactive: false });
  }
}

/** Find Similar Images: the library's images ranked against `id`, with `id` itself as the query tile. */
export async function findSimilar(library: AssetLibrary, id: string): Promise<ResultSet> {
  const name = path.basename(id);
  const response = await library.search.searchAll('', { similarTo: id });
  const items = library.items.get(response.hits.map((h) => h.id)).map((item, i) => ({ ...item, score: response.hits[i]!.score }));
  const queryItem = library.items.itemFor(id);
  return { query: name, title: `Similar to ${name}`, items, noGoodMatch: response.noGoodMatch, bestScore: response.bestScore, ...(queryItem ? { queryItem } : {}) };
}

export function createAssetBackend(library: AssetLibrary, actions: ModelActions, duplicates?: DuplicatesBackend): AssetBackend {
  const files = createFileActions(async (ids) => ids.map((id) => ({ path: id, name: path.basename(id) })));
  const onFiles = (command: 'generateCaptions' | 'editTags') => async (ids: readonly string[]) => {
    await vscode.commands.executeCommand(
      commandId(command),
      undefined,
      ids.map((id) => vscode.Uri.file(id)),
    );
  };
  return {
    ...files,
    get thumbnailRoots() {
      return library.thumbnailRoots;
    },
    getStatus: () => library.getStatus(),
    getProgress: () => library.scheduler.progress,
    listItems: async () => library.items.list(),
    getItems: async (ids) => library.items.get(ids),
    isKnownItem: (id) => library.items.knows(id),
    search: async (query, signal) => {
      const r = await library.search.searchAll(query, { signal });
      return { results: r.hits.map((h) => ({ id: h.id, score: h.score })), ranked: r.ranked, noGoodMatch: r.noGoodMatch, bestScore: r.bestScore };
    },
    thumbnails: (ids) => library.thumbnails(ids),
    findSimilar: (id) => findSimilar(library, id),
    generateCaptions: onFiles('generateCaptions'),
    editTags: onFiles('editTags'),
    downloadModel: () => actions.download(),
    modelAction: (action) => actions.run(action),
    restartWorker: () => actions.restartWorker(),
    duplicates,
    revealReferences: async (id) => {
      await vscode.commands.executeCommand(commandId('revealReferences'), id);
    },
    onDidChangeItems: library.items.onDidChange,
    onDidChangeProgress: library.scheduler.onDidChangeProgress,
    onDidChangeStatus: library.onDidChangeStatus,
  };
}
