// Auto-tagging in VS Code: the parts put together and kept in step with the files and settings
// they read. Thin: scoring, the tags file and exports are the engine's (src/engine/tags); the
// per-folder state is ./folderTags.ts; text embeddings of the vocabulary come from the Engine's
// worker process. Commands: ./commands.ts.
import * as vscode from 'vscode';
import type { AssetTag } from '../../../shared/messages';
import type { AssetLibrary } from '../../assets/assetLibrary';
import { errorMessage } from '../../../engine/util/errors';
import { log } from '../../log';
import type { ModelService } from '../../model/service';
import { AutoTagging } from './autoTagging';
import { EditTagsCommand } from './editTags';
import { offerSidecars } from './sidecarsOffer';
import { TagImagesCommand } from './tagImages';
import { WorkspaceTags } from './workspaceTags';

export class TagFeature implements vscode.Disposable {
  readonly tags: WorkspaceTags;
  readonly tagImages: TagImagesCommand;
  readonly editTags: EditTagsCommand;
  private readonly auto: AutoTagging;
  private readonly disposables: vscode.Disposable[];

  constructor(library: AssetLibrary, models: ModelService) {
    this.tags = new WorkspaceTags(library);
    this.auto = new AutoTagging(this.tags, models, library);
    this.tagImages = new TagImagesCommand(this.tags, this.auto, library, models);
    this.editTags = new EditTagsCommand(this.tags, this.auto, models);
    const watcher = vscode.workspace.createFileSystemWatcher('**/.vscode/{asset-tags.json,asset-tags.data.json}');
    const onFile = (uri: vscode.Uri) => this.tags.fileChanged(uri.fsPath);
    this.disposables = [this.auto, this.tags, watcher, watcher.onDidCreate(onFile), watcher.onDidChange(onFile), watcher.onDidDelete(onFile)];
  }

  /** Tags on an image for gallery and result tiles: confirmed (source "user") first, then suggestions; removed tags never. */
  tagsOf(absPath: string): AssetTag[] {
    return this.tags.tagsOf(absPath);
  }

  /** Fires (debounced) when any folder's tags changed. */
  get onDidChangeTags(): vscode.Event<void> {
    return this.tags.onDidChangeTags;
  }

  /** Reads every folder's tags file (no model needed), so tiles show tags at once; forgets folders that left. */
  loadAll(): void {
    this.tags.loadAll();
  }

  configurationChanged(e: vscode.ConfigurationChangeEvent): void {
    this.tags.configurationChanged(e);
    if (e.affectsConfiguration('mobileclipAssets.tags.writeXmpSidecars')) {
      void offerSidecars(this.tags).catch((err) => log().error(`tags: sidecars: ${errorMessage(err)}`));
    }
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
