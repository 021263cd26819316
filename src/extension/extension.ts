// Extension entry point: wires the engine-backed services to VS Code. Activation only creates
// objects and registers contributions; the model loads (in the worker process) on first use or
// when background indexing starts, so no native module is ever loaded into the extension host.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { registerCommand } from './commands/register';
import { AssetLibrary } from './assets/assetLibrary';
import { IndexStatusBar } from './assets/statusBar';
import { DebouncedImageWatcher } from './assets/watcher';
import { findImages } from './commands/findImages';
import { registerCaptionFeatures } from './features/captions';
import { registerDatasetFeatures } from './features/dataset';
import { registerTagFeatures } from './features/tags';
import { selectModel } from './commands/modelCommands';
import { log } from './log';
import { registerReports } from './reports';
import { ModelService } from './modelService';
import { affectsEngine, readSettings } from './settings';
import { registerAssetWebviews } from './webview';
import { errorMessage } from '../engine/util/errors';

export function activate(context: vscode.ExtensionContext): void {
  const workerScript = context.asAbsolutePath(path.join('dist', 'worker.js'));
  registerReports(context);
  const models = new ModelService(workerScript);
  const storageRoot = (context.storageUri ?? context.globalStorageUri).fsPath;
  const library = new AssetLibrary(models, path.join(storageRoot, 'index'));
  const webviews = registerAssetWebviews(context, library);
  const statusBar = new IndexStatusBar(library);
  const watcher = new DebouncedImageWatcher((batch) => library.applyChanges(batch));
  context.subscriptions.push(models, library, statusBar, watcher);
  const tags = registerTagFeatures(context, { models, library });
  const captions = registerCaptionFeatures(context, { models, library, workerScript, tagsOf: tags.tagNamesOf });
  registerDatasetFeatures(context, { models, workerScript, cliScript: context.asAbsolutePath(path.join('dist', 'cli.js')) });
  library.setAnnotations({ tagsOf: tags.tagsOf, captionsOf: captions.captionsOf, captionMatches: captions.captionMatches });

  const command = (id: string, run: (...args: any[]) => unknown) => registerCommand(context, id, run);

  command('findImages', (query?: unknown) => findImages(library, models, webviews.showResults, typeof query === 'string' ? query : ''));
  command('findSimilar', async (uri?: vscode.Uri, uris?: vscode.Uri[]) => {
    const target = uris?.[0] ?? uri ?? vscode.window.activeTextEditor?.document.uri ?? activeTabUri();
    if (!target || target.scheme !== 'file') throw new Error('Right-click an image in the Explorer to find similar ones.');
    if (!(await library.ensureSearchReady('Find Similar Images'))) return;
    webviews.showResults(await library.findSimilar(target.fsPath));
  });
  command('pinResults', () => webviews.pinActiveResults());
  command('indexWorkspace', () => library.indexAll({ interactive: true }));
  command('rebuildIndex', async () => {
    await library.rebuild();
    await library.indexAll({ interactive: true, notify: true });
  });
  command('pauseIndexing', () => library.setPaused(true));
  command('resumeIndexing', () => {
    library.setPaused(false);
    return library.indexAll({ interactive: false });
  });
  command('downloadModel', () => library.downloadModel());
  command('selectModel', () => selectModel(models));
  command('restartWorker', () => library.restartWorker());
  command('showLog', () => log().show());

  context.subscriptions.push(
    vscode.workspace.onDidChangeWorkspaceFolders(() => void startBackgroundWork(library)),
    vscode.workspace.onDidChangeConfiguration(async (e) => {
      if (affectsEngine(e)) {
        // Re-resolve the model under the new settings; what the old settings had in flight is cancelled.
        await models.refresh();
        await startBackgroundWork(library);
      } else if (e.affectsConfiguration('mobileclipAssets.index') || e.affectsConfiguration('files.exclude') || e.affectsConfiguration('search.exclude')) {
        await startBackgroundWork(library);
      }
    }),
  );
  void vscode.commands.executeCommand('setContext', 'mobileclipAssets.indexingPaused', false);
  // After activation returns: find out where the model stands, list images (stat only) and, when
  // allowed, index in the background.
  setTimeout(() => void models.refresh().then(() => startBackgroundWork(library)), 0);
}

async function startBackgroundWork(library: AssetLibrary): Promise<void> {
  try {
    await library.reloadFolders();
    if (readSettings().index.autoIndex) {
      await library.indexAll({ interactive: false });
    }
  } catch (err) {
    log().error(`background indexing: ${errorMessage(err)}`);
  }
}

function activeTabUri(): vscode.Uri | undefined {
  const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  return input instanceof vscode.TabInputCustom || input instanceof vscode.TabInputText ? input.uri : undefined;
}

export function deactivate(): void {
  // Disposables registered on the context stop the worker process.
}
