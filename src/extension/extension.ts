// Extension entry point: creates the extension's parts, registers the command table and hands the
// workspace's events to one owner. Activation only creates objects and registers contributions;
// the model loads (in the worker process) on first use or when background indexing starts, so no
// native module is ever loaded into the extension host.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { createAssetBackend, ModelActions } from './assets/assetBackend';
import { AssetLibrary } from './assets/assetLibrary';
import { IndexStatusBar } from './assets/statusBar';
import { DebouncedImageWatcher } from './assets/watcher';
import { registerCommands } from './commands/register';
import { COMMANDS } from './commands/table';
import type { Ctx } from './ctx';
import { AltTextFeature } from './features/altText/altTextFeature';
import { CaptionFeature } from './features/captions/captionFeature';
import { DatasetFeature } from './features/datasets/datasetFeature';
import { DuplicatesFeature } from './features/duplicates/duplicatesFeature';
import { ReferenceService } from './features/references/referenceService';
import { registerImageLinks } from './features/imageLinks';
import { TagFeature } from './features/tagging/tagFeature';
import { disposeLog } from './log';
import { ModelPrompts } from './model/prompts';
import { ModelService } from './model/service';
import { Thumbnailer } from './model/thumbnails';
import { registerReports } from './reports';
import { createAssetWebviews } from './webview';
import { WorkspaceEvents } from './workspaceEvents';

/** Stops the running extension's worker processes, for deactivate(). */
let stopWorkers: (() => Promise<void>) | undefined;

export function activate(context: vscode.ExtensionContext): void {
  const workerScript = context.asAbsolutePath(path.join('dist', 'worker.js'));
  const cliScript = context.asAbsolutePath(path.join('dist', 'cli.js'));
  const storageRoot = (context.storageUri ?? context.globalStorageUri).fsPath;
  registerReports(context);
  const models = new ModelService(workerScript);
  const prompts = new ModelPrompts(models);
  const thumbnails = new Thumbnailer(models, workerScript);
  const library = new AssetLibrary({ models, prompts, thumbnails, storageRoot: path.join(storageRoot, 'index') });
  const modelActions = new ModelActions(library, models, prompts);
  const references = new ReferenceService(library);
  const duplicates = new DuplicatesFeature({ library, references });
  const backend = createAssetBackend(library, modelActions, duplicates);
  const webviews = createAssetWebviews(context.extensionUri, backend);
  const tags = new TagFeature(library, models);
  const captions = new CaptionFeature({ models, library, workerScript, tagsOf: (p) => tags.tagsOf(p).map((t) => t.tag) });
  const datasets = new DatasetFeature({ models, prompts, workerScript, cliScript });
  library.setAnnotations({
    tagsOf: (p) => tags.tagsOf(p),
    captionsOf: (p) => captions.captionsOf(p),
    captionMatches: (q) => captions.captionMatches(q),
    referencesOf: (p) => references.referenceCount(p),
  });
  const imageLinks = registerImageLinks({ library, captionsOf: (p) => captions.captionsOf(p) });
  const altText = new AltTextFeature({
    resolve: (file, src) => imageLinks.images.resolve(file, src),
    facts: (image) => ({ captions: captions.captionsOf(image), tags: tags.tagsOf(image).map((t) => t.tag) }),
  });
  const ctx: Ctx = { models, prompts, modelActions, library, backend, webviews, tags, captions, datasets, references, duplicates, altText };
  const events = new WorkspaceEvents(ctx);
  context.subscriptions.push(
    models,
    thumbnails,
    library,
    webviews,
    tags,
    captions,
    datasets,
    events,
    imageLinks.disposable,
    altText,
    new IndexStatusBar(library),
    new DebouncedImageWatcher((batch) => library.applyChanges(batch)),
    // Tiles and search filters read tags and captions synchronously: they read again on a change.
    tags.onDidChangeTags(() => library.items.refreshAnnotations()),
    captions.onDidChangeCaptions(() => library.items.refreshAnnotations()),
    references,
    duplicates,
    // The reference index follows the listing (images added or removed); a reference count that
    // changed reaches the tiles through the next publish (publish sends only what changed).
    library.items.onDidChange(() => references.syncImages()),
    library.onDidChangeStatus(() => references.syncImages()),
    references.onDidChange(() => library.items.publish()),
    ...registerCommands(ctx, COMMANDS),
    // Last, so that what the others log while they stop still has a channel.
    { dispose: disposeLog },
  );
  void vscode.commands.executeCommand('setContext', 'mobileclipAssets.indexingPaused', false);
  stopWorkers = async () => {
    await Promise.all([models.shutdown(), thumbnails.shutdown()]);
  };
  events.start();
}

/** Stops the worker processes (VS Code waits for the promise before it ends the extension host). */
export function deactivate(): Promise<void> | undefined {
  const stop = stopWorkers;
  stopWorkers = undefined;
  return stop?.();
}
