// What every command handler gets: the extension's long-lived parts, created once in activate()
// (the `ctx` of rust-analyzer's `(ctx) => handler` commands). A new feature adds its part here
// and its commands to ./commands/table.ts.
import type { AssetBackend } from './webview/backend';
import type { AssetLibrary } from './assets/assetLibrary';
import type { ModelActions } from './assets/assetBackend';
import type { AltTextFeature } from './features/altText/altTextFeature';
import type { CaptionFeature } from './features/captions/captionFeature';
import type { DatasetFeature } from './features/datasets/datasetFeature';
import type { DuplicatesFeature } from './features/duplicates/duplicatesFeature';
import type { ReferenceService } from './features/references/referenceService';
import type { TagFeature } from './features/tagging/tagFeature';
import type { ModelPrompts } from './model/prompts';
import type { ModelService } from './model/service';
import type { AssetWebviews } from './webview';

export interface Ctx {
  readonly models: ModelService;
  readonly prompts: ModelPrompts;
  readonly modelActions: ModelActions;
  readonly library: AssetLibrary;
  /** What the webviews (and the tiles' context-menu commands) act through. */
  readonly backend: AssetBackend;
  readonly webviews: AssetWebviews;
  readonly tags: TagFeature;
  readonly captions: CaptionFeature;
  readonly datasets: DatasetFeature;
  /** Which text files name which images (unused images, reference counts, Keep this one). */
  readonly references: ReferenceService;
  readonly duplicates: DuplicatesFeature;
  readonly altText: AltTextFeature;
}

/** A command: built once from the context, then called with whatever VS Code passes (a URI, a selection, a tile's context, or nothing). */
export type CommandHandler = (...args: unknown[]) => unknown;
export type CommandFactory = (ctx: Ctx) => CommandHandler;
