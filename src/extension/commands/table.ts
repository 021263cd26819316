// Every command of the extension, in one table: `mobileclipAssets.<key>` runs the handler the
// key's factory builds from the context (rust-analyzer's `(ctx) => handler` shape). package.json's
// `contributes.commands` lists exactly these (test/extension/commands.test.ts checks it). A new
// command is a factory in its feature's commands.ts, a row here and an entry in package.json.
import type { CommandFactory } from '../ctx';
import * as altText from '../features/altText/commands';
import * as captions from '../features/captions/commands';
import * as datasets from '../features/datasets/commands';
import * as duplicates from '../features/duplicates/commands';
import * as references from '../features/references/commands';
import * as imageLinks from '../features/imageLinks/commands';
import * as tags from '../features/tagging/commands';
import * as tiles from '../webview/tileCommands';
import * as indexing from './indexing';
import * as model from './model';
import * as search from './search';

export const COMMANDS = {
  findImages: search.findImages,
  findSimilar: search.findSimilar,
  pinResults: search.pinResults,
  indexWorkspace: indexing.indexWorkspace,
  rebuildIndex: indexing.rebuildIndex,
  pauseIndexing: indexing.pauseIndexing,
  resumeIndexing: indexing.resumeIndexing,
  tagImages: tags.tagImages,
  editTags: tags.editTags,
  exportTags: tags.exportTags,
  editVocabulary: tags.editVocabulary,
  generateCaptions: captions.generateCaptions,
  editCaptions: captions.editCaptions,
  generateAltTextInFile: altText.inFile,
  generateAltTextInWorkspace: altText.inWorkspace,
  showInGallery: imageLinks.showInGallery,
  reinforceDataset: datasets.reinforceDataset,
  verifyDataset: datasets.verifyDataset,
  distillAdapter: datasets.distillAdapter,
  findDuplicates: duplicates.findDuplicates,
  reportUnused: references.reportUnused,
  revealReferences: references.revealReferencesOf,
  downloadModel: model.downloadModel,
  selectModel: model.selectModel,
  restartWorker: model.restartWorker,
  showLog: model.showLog,
  // The tiles' context menu (webview/context) in the gallery and the results panels.
  'tile.open': tiles.open,
  'tile.revealInExplorer': tiles.revealInExplorer,
  'tile.findSimilar': tiles.findSimilar,
  'tile.copyPath': tiles.copyPath,
  'tile.copyMarkdownLink': tiles.copyMarkdownLink,
  'tile.generateCaptions': tiles.generateCaptions,
  'tile.editTags': tiles.editTags,
  'tile.revealReferences': tiles.revealReferences,
} satisfies Record<string, CommandFactory>;
