// What the extension knows about one workspace folder: the images on disk (from a stat-only
// scan, so the gallery can list them before any model exists) and, once the model runs, the
// folder's WorkspaceIndexer and SearchEngine over its latest snapshot.
import { maxFileSizeBytesFromMB } from '../../engine/util/limits';
import * as path from 'node:path';
import type { ImageTextEmbedder } from '../../engine/api';
import type { IndexSnapshot, IndexEntry } from '../../engine/index/format';
import { WorkspaceIndexer, type IndexRunSummary, type RunOptions } from '../../engine/index/indexer';
import type { EmbeddingSettings } from '../../engine/index/identity';
import { resolveIndexDir, THUMBNAILS_DIR } from '../../engine/index/location';
import { scanFolder, type ScanOptions, type ScannedFile } from '../../engine/index/scan';
import { DEFAULT_THUMBNAIL_SIZE, thumbnailPath } from '../../engine/index/thumbnails';
import { SearchEngine } from '../../engine/search/search';
import type { AssetSettings } from '../settings';

export interface FolderConfig {
  root: string;
  name: string;
  storageRoot: string;
  inRepository: boolean;
  scan: Omit<ScanOptions, 'signal' | 'onSkip' | 'under'>;
  /** Undefined keeps what an existing index stores (a new one: the engine's default, float16). */
  dtype: 'float32' | 'float16' | 'int8' | undefined;
  preprocessing: EmbeddingSettings;
  batchSize: number;
}

/** A folder's indexing configuration from the extension's settings (the index identity follows the CLI's). */
export function folderConfigFrom(s: AssetSettings, folder: { root: string; name: string }, storageRoot: string, editorExcludes: readonly string[] = []): FolderConfig {
  return {
    root: folder.root,
    name: folder.name,
    storageRoot,
    inRepository: s.index.location === 'repository',
    scan: {
      include: s.index.include,
      exclude: [...s.index.exclude, ...editorExcludes],
      respectGitignore: s.index.respectGitignore,
      maxFileSizeBytes: maxFileSizeBytesFromMB(s.index.maxFileSizeMB),
    },
    dtype: s.index.vectorPrecision,
    // Normalised by the engine's indexIdentity(), like the CLI's --background: nothing else here
    // changes an embedding (the pixel cap is a decoder guard, not part of the identity).
    preprocessing: { background: s.transparentBackground },
    // Images per embedder call: large enough that decoding overlaps inference (see bench/RESULTS.md).
    batchSize: 256,
  };
}

export class FolderState {
  readonly root: string;
  readonly indexDir: string;
  readonly thumbnailDir: string;
  /** Images found by the last scan, by relative path. */
  files = new Map<string, ScannedFile>();
  /** Files that failed to index, by relative path. */
  failed = new Map<string, string>();
  private indexer: WorkspaceIndexer | undefined;
  private indexerEmbedder: ImageTextEmbedder | undefined;
  private searchEngine: SearchEngine | undefined;
  private entryByPath = new Map<string, IndexEntry>();

  constructor(readonly config: FolderConfig) {
    this.root = path.resolve(config.root);
    // The CLI's location rule: a `.mobileclip/` index that exists is shared, whatever the setting.
    this.indexDir = resolveIndexDir(this.root, { storageRoot: config.storageRoot, inRepository: config.inRepository });
    this.thumbnailDir = path.join(this.indexDir, THUMBNAILS_DIR);
  }

  get name(): string {
    return this.config.name;
  }

  /** Stat-only listing of the folder's images (no decoding, no model). */
  async scan(signal?: AbortSignal): Promise<void> {
    const files = new Map<string, ScannedFile>();
    for await (const f of scanFolder(this.root, { ...this.config.scan, signal })) files.set(f.path, f);
    this.files = files;
  }

  /** Opens (or re-opens for a new engine) the folder's index. */
  async attach(embedder: ImageTextEmbedder): Promise<void> {
    if (this.indexer && this.indexerEmbedder === embedder) return;
    await this.indexer?.close();
    this.indexer = await WorkspaceIndexer.open({
      root: this.root,
      indexDir: this.indexDir,
      embedder,
      preprocessing: this.config.preprocessing,
      dtype: this.config.dtype,
      scan: this.config.scan,
      thumbnails: { dir: this.thumbnailDir, size: DEFAULT_THUMBNAIL_SIZE },
      batchSize: this.config.batchSize,
    });
    this.indexerEmbedder = embedder;
    this.searchEngine = new SearchEngine(this.indexer.snapshot(), this.root, embedder);
    this.refreshEntries();
  }

  get attached(): boolean {
    return this.indexer !== undefined;
  }

  async update(run: RunOptions): Promise<IndexRunSummary | undefined> {
    if (!this.indexer) return undefined;
    const summary = await this.indexer.update(run);
    this.afterRun(summary);
    return summary;
  }

  async applyChanges(changed: string[], deleted: string[], run: RunOptions): Promise<IndexRunSummary | undefined> {
    if (!this.indexer) return undefined;
    const summary = await this.indexer.applyChanges(changed, deleted, run);
    this.afterRun(summary);
    return summary;
  }

  get search(): SearchEngine | undefined {
    return this.searchEngine;
  }

  snapshot(): IndexSnapshot | undefined {
    return this.indexer?.snapshot();
  }

  entry(relPath: string): IndexEntry | undefined {
    return this.entryByPath.get(relPath);
  }

  thumbnailFor(entry: IndexEntry): string {
    return thumbnailPath(this.thumbnailDir, entry.sha256, DEFAULT_THUMBNAIL_SIZE);
  }

  relative(absPath: string): string | undefined {
    const rel = path.relative(this.root, absPath);
    if (!rel || rel.startsWith('..') || path.isAbsolute(rel)) return undefined;
    return rel.split(path.sep).join('/');
  }

  async dispose(): Promise<void> {
    await this.indexer?.close();
    this.indexer = undefined;
    this.searchEngine = undefined;
  }

  private afterRun(summary: IndexRunSummary): void {
    this.failed = new Map(summary.failed.map((f) => [f.path, f.error]));
    this.refreshEntries();
  }

  private refreshEntries(): void {
    const snap = this.indexer?.snapshot();
    if (!snap) return;
    this.searchEngine?.setIndex(snap);
    this.entryByPath = new Map(snap.entries.map((e) => [e.path, e]));
    // The index is the fresher truth for files it holds (the scan may predate the run).
    for (const e of snap.entries) this.files.set(e.path, { path: e.path, size: e.size, mtimeMs: e.mtimeMs });
  }
}

/** The folder holding `absPath`, if any. */
export function folderOf(folders: readonly FolderState[], absPath: string): FolderState | undefined {
  return folders.find((f) => f.relative(absPath) !== undefined);
}
