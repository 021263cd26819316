// Image paths in text files: hovers (./imageHover.ts) in every file, drops with alt text
// (./dropImage.ts) in Markdown and HTML, over one resolver of workspace image paths.
import * as vscode from 'vscode';
import type { AssetLibrary } from '../../assets/assetLibrary';
import { ImageDropProvider, DROP_LANGUAGES } from './dropImage';
import { ImageHoverProvider } from './imageHover';
import { WorkspaceImages } from './imagePaths';

export interface ImageLinksDeps {
  library: AssetLibrary;
  captionsOf(image: string): readonly string[];
}

/**
 * VS Code asks a drop provider only for the mime types its metadata names (an argument newer than
 * the 1.95 typings we build against; older hosts ignore it).
 */
function registerDrop(selector: vscode.DocumentSelector, provider: vscode.DocumentDropEditProvider): vscode.Disposable {
  const register = vscode.languages.registerDocumentDropEditProvider as (
    s: vscode.DocumentSelector,
    p: vscode.DocumentDropEditProvider,
    metadata: { dropMimeTypes: string[] },
  ) => vscode.Disposable;
  return register(selector, provider, { dropMimeTypes: ['text/uri-list'] });
}

/** The resolver (alt text uses it too) and the registrations. */
export function registerImageLinks(deps: ImageLinksDeps): { images: WorkspaceImages; disposable: vscode.Disposable } {
  const { library } = deps;
  const images = new WorkspaceImages(() => library.folderStates);
  const hover = new ImageHoverProvider({
    images,
    item: (image) => library.items.itemFor(image),
    thumbnail: async (image) => (await library.thumbnails([image]))[0],
  });
  const disposable = vscode.Disposable.from(
    library.items.onDidChange(() => images.invalidate()),
    vscode.languages.registerHoverProvider({ scheme: 'file' }, hover),
    registerDrop(
      DROP_LANGUAGES.map((language) => ({ language })),
      new ImageDropProvider(deps),
    ),
  );
  return { images, disposable };
}
