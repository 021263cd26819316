// Synthetic captions in VS Code: the captions files of the workspace kept loaded (watched, found
// at start-up and when folders change) for the tiles and for search, and the parts behind
// "Generate Synthetic Captions" (./captionRunner.ts) and "Edit Captions" (./editCaptions.ts).
// Generation, storage and matching are the engine's (src/engine/captions). Commands: ./commands.ts.
import * as vscode from 'vscode';
import { CAPTIONS_DIR, CAPTIONS_FILE } from '../../../engine/captions';
import { errorMessage } from '../../../engine/util/errors';
import type { AssetLibrary } from '../../assets/assetLibrary';
import { Debouncer } from '../../debounce';
import { log } from '../../log';
import type { ModelService } from '../../model/service';
import { deepestContaining } from '../../paths';
import { workspaceRoots } from '../../workspace';
import { CaptionIndex, type CaptionHit } from './captionIndex';
import { CaptionRunner } from './captionRunner';

const CAPTIONS_GLOB = `**/${CAPTIONS_DIR}/${CAPTIONS_FILE}`;
const REFRESH_DELAY_MS = 250;

export interface CaptionFeatureDeps {
  models: ModelService;
  library: AssetLibrary;
  /** dist/worker.js: runs a captioner-only worker when the CLIP model is not available. */
  workerScript: string;
  /** Tags of an image, for `tag:` filters in captionMatches. */
  tagsOf?: (absPath: string) => readonly string[];
}

export class CaptionFeature implements vscode.Disposable {
  readonly index: CaptionIndex;
  readonly runner: CaptionRunner;
  private readonly changed = new vscode.EventEmitter<void>();
  private readonly debouncer = new Debouncer((message) => log().error(`captions: ${message}`));
  /** Entries a captions file holds that could not be used: said once per distinct set, never dropped silently. */
  private readonly warnedIgnored = new Map<string, string>();
  private readonly disposables: vscode.Disposable[];
  /** Fires (debounced) when any captions file changed. */
  readonly onDidChangeCaptions = this.changed.event;

  constructor(private readonly deps: CaptionFeatureDeps) {
    this.index = new CaptionIndex({
      onProblem: (m) => log().warn(`captions: ${m}`),
      onIgnoredEntries: (file, problems) => void this.warnIgnoredEntries(file, problems).catch((err) => log().error(`captions: ${errorMessage(err)}`)),
    });
    this.runner = new CaptionRunner(deps, this.index);
    const watcher = vscode.workspace.createFileSystemWatcher(CAPTIONS_GLOB);
    const onFile = (uri: vscode.Uri) => void this.index.fileChanged(uri.fsPath);
    this.disposables = [
      this.changed,
      watcher,
      this.index.onDidChange(() => this.debouncer.run('refresh', REFRESH_DELAY_MS, () => this.changed.fire())),
      watcher.onDidCreate(onFile),
      watcher.onDidChange(onFile),
      watcher.onDidDelete((uri) => this.index.fileDeleted(uri.fsPath)),
    ];
  }

  /** The captions of an image for the gallery and results tiles (user captions first). */
  captionsOf(absPath: string): string[] {
    return this.index.captionsOf(absPath);
  }

  /** Images whose captions match a search query (search syntax), best first, with scores (2 = phrase match, 1 = all words). */
  captionHits(query: string): CaptionHit[] {
    return this.index.matches(query, { searchRootOf: (abs) => deepestContaining(workspaceRoots(), abs), tagsOf: this.deps.tagsOf });
  }

  captionMatches(query: string): string[] {
    return this.captionHits(query).map((h) => h.path);
  }

  /** Finds the captions files that already exist (stat-level work only). */
  async discover(): Promise<void> {
    try {
      const found = await vscode.workspace.findFiles(CAPTIONS_GLOB, '**/node_modules/**');
      await Promise.all(found.filter((u) => u.scheme === 'file').map((u) => this.index.fileChanged(u.fsPath)));
    } catch (err) {
      log().warn(`captions: cannot look for captions files: ${errorMessage(err)}`);
    }
  }

  private async warnIgnoredEntries(file: string, problems: readonly string[]): Promise<void> {
    const key = problems.join('\n');
    if (this.warnedIgnored.get(file) === key) return;
    this.warnedIgnored.set(file, key);
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
    const choice = await vscode.window.showWarningMessage(
      `MobileCLIP Assets: ${problems.length} entr${problems.length === 1 ? 'y' : 'ies'} of ${vscode.workspace.asRelativePath(file)} could not be used and ${problems.length === 1 ? 'was' : 'were'} left as ${problems.length === 1 ? 'it is' : 'they are'}: ${problems[0]!.replace(/,? ignored.*$/, '')}${more}.`,
      'Show Log',
      'Open File',
    );
    if (choice === 'Show Log') log().show();
    else if (choice === 'Open File') await vscode.window.showTextDocument(vscode.Uri.file(file));
  }

  dispose(): void {
    this.debouncer.dispose();
    for (const d of this.disposables) d.dispose();
  }
}
