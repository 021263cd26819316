// Decisions behind "Generate Synthetic Captions", kept free of `vscode` so they are unit-tested:
// which images a mixed Explorer/gallery selection means, which captions file each one goes to,
// the progress line, and the closing summary.
import * as path from 'node:path';
import {
  captionImages,
  captionsFileFor,
  type CaptionBackend,
  type CaptionImagesOptions,
  type CaptionProgress,
  type ResolvedCaptioner,
  type CaptionSettings,
} from '../../../engine/captions';
import { formatDuration } from '../../../engine/util/format';
import { deepestContaining, isImageFile, isInsideOrEqual } from '../../paths';
import { errorMessage } from '../../../engine/util/errors';

export interface CollectDeps {
  /** 'file', 'folder', or undefined when the path does not exist. */
  kind(absPath: string): Promise<'file' | 'folder' | undefined>;
  /** The images of a folder (absolute paths), honouring the index include/exclude settings. */
  imagesIn(folder: string, signal?: AbortSignal): Promise<string[]>;
}

export interface CollectedImage {
  path: string;
  /** The selected folder it was found in, or its own folder when the file itself was selected. */
  selectedFrom: string;
}

export interface CollectedImages {
  images: CollectedImage[];
  /** Selected files that are not images (left out). */
  notImages: string[];
  /** Selected paths that no longer exist. */
  missing: string[];
  /** Selected folders without any image to caption. */
  emptyFolders: string[];
}

/**
 * Expands a selection of files and folders into the images to caption, each once, in selection
 * order (folders in the order their scan lists them). An explicitly selected image is taken even
 * when the index settings exclude it: the user asked for that file.
 */
export async function collectImages(selection: readonly string[], deps: CollectDeps, signal?: AbortSignal): Promise<CollectedImages> {
  const out: CollectedImages = { images: [], notImages: [], missing: [], emptyFolders: [] };
  const seen = new Set<string>();
  const add = (p: string, from: string) => {
    const abs = path.resolve(p);
    if (seen.has(abs)) return;
    seen.add(abs);
    out.images.push({ path: abs, selectedFrom: from });
  };
  for (const raw of new Set(selection.map((s) => path.resolve(s)))) {
    if (signal?.aborted) break;
    const kind = await deps.kind(raw);
    if (kind === undefined) out.missing.push(raw);
    else if (kind === 'folder') {
      const found = await deps.imagesIn(raw, signal);
      for (const img of found) add(img, raw);
      if (found.length === 0) out.emptyFolders.push(raw);
    } else if (isImageFile(raw)) add(raw, path.dirname(raw));
    else out.notImages.push(raw);
  }
  return out;
}

export interface CaptionGroup {
  /** The folder whose `.mobileclip/captions.json` receives the captions. */
  root: string;
  images: string[];
}

/**
 * Which captions file each image goes to: the deepest folder inside the image's workspace folder
 * that already has a captions file (so a dataset captioned with the CLI keeps one file), else the
 * workspace folder itself. Images outside every workspace folder use the nearest existing captions
 * folder above them, else the folder they were selected from. Groups keep first-seen order.
 */
export function groupByCaptionRoot(images: readonly CollectedImage[], workspaceRoots: readonly string[], captionRoots: readonly string[]): CaptionGroup[] {
  const groups = new Map<string, CaptionGroup>();
  for (const img of images) {
    const ws = deepestContaining(workspaceRoots, img.path);
    const existing = deepestContaining(
      captionRoots.filter((r) => (ws ? isInsideOrEqual(ws, r) : true) && r !== img.path),
      img.path,
    );
    const root = path.resolve(existing ?? ws ?? img.selectedFrom);
    let g = groups.get(root);
    if (!g) groups.set(root, (g = { root, images: [] }));
    g.images.push(img.path);
  }
  return [...groups.values()];
}

export interface CaptionTotals {
  generated: number;
  skipped: number;
  failed: number;
  captions: number;
  cancelled: boolean;
}

/**
 * Progress across several caption groups (one captionImages run each): an overall count and a
 * time estimate that adds the images of the groups still to come at the current pace.
 */
export class CaptionRunProgress {
  private doneBefore = 0;
  private remainingAfter: number;
  private secondsPerImage: number | undefined;
  private current: CaptionProgress | undefined;

  constructor(private readonly groupSizes: readonly number[]) {
    this.remainingAfter = groupSizes.reduce((a, b) => a + b, 0);
  }

  get total(): number {
    return this.groupSizes.reduce((a, b) => a + b, 0);
  }

  /** Call before each group's run. */
  startGroup(index: number): void {
    this.doneBefore = this.groupSizes.slice(0, index).reduce((a, b) => a + b, 0);
    this.remainingAfter = this.groupSizes.slice(index + 1).reduce((a, b) => a + b, 0);
    this.current = undefined;
  }

  update(p: CaptionProgress): void {
    this.current = p;
    const left = p.total - p.done;
    if (p.etaMs !== undefined && left > 0) this.secondsPerImage = p.etaMs / 1000 / left;
  }

  get done(): number {
    return this.doneBefore + (this.current?.done ?? 0);
  }

  /** Seconds left, or undefined while there is no pace yet. */
  get etaSeconds(): number | undefined {
    const p = this.current;
    if (!p || p.etaMs === undefined) return undefined;
    return p.etaMs / 1000 + this.remainingAfter * (this.secondsPerImage ?? 0);
  }

  /** "12 of 40 · 1 min 5 s left" (plus what was skipped or failed so far). */
  message(): string {
    const parts = [`${this.done.toLocaleString('en-US')} of ${this.total.toLocaleString('en-US')}`];
    const eta = this.etaSeconds;
    if (eta !== undefined && this.done < this.total) parts.push(`${formatDuration(eta)} left`);
    const p = this.current;
    if (p?.skipped) parts.push(`${p.skipped} up to date`);
    if (p?.failed) parts.push(`${p.failed} failed`);
    return parts.join(' · ');
  }
}

const plural = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

/** The closing notification: "Captioned 12 images (60 captions) · 3 up to date · 1 failed." */
export function captionSummary(t: CaptionTotals, extra: { notImages?: number; missing?: number } = {}): { text: string; severity: 'info' | 'warning' } {
  const parts: string[] = [];
  if (t.generated) parts.push(`Captioned ${plural(t.generated, 'image')} (${plural(t.captions, 'caption')})`);
  else if (!t.cancelled) parts.push(t.failed ? 'No image captioned' : 'Nothing to caption');
  else parts.push('Captioning cancelled');
  if (t.skipped) parts.push(`${t.skipped.toLocaleString('en-US')} already up to date`);
  if (t.failed) parts.push(`${t.failed.toLocaleString('en-US')} failed`);
  if (extra.missing) parts.push(`${plural(extra.missing, 'path')} not found`);
  if (extra.notImages) parts.push(`${plural(extra.notImages, 'file')} not an image`);
  let text = parts.join(' · ');
  if (t.cancelled && t.generated) text += ' · cancelled (the captions made so far are saved)';
  return { text: `${text}.`, severity: t.failed || extra.missing ? 'warning' : 'info' };
}

export interface CaptionGroupsOptions {
  captioner: ResolvedCaptioner;
  settings: Partial<CaptionSettings>;
  workerOptions?: CaptionImagesOptions['workerOptions'];
  signal?: AbortSignal;
  /** Progress text ("12 of 40 · 1 min left") and the fraction done. */
  onProgress?: (message: string, fraction: number) => void;
  /** One line per image (or captions file) that failed. */
  onFailure?: (line: string) => void;
  /** After each group: its captions file was written (reload it, refresh the gallery). */
  onGroupDone?: (file: string) => Promise<void> | void;
}

export interface CaptionGroupsResult {
  totals: CaptionTotals;
  /** Captions files written. */
  files: string[];
  failures: string[];
}

/**
 * Captions every group into its own captions file, one after another. A group whose captions
 * file cannot be used (broken JSON, a foreign file) fails its images and the run goes on with the
 * next group; per-image failures come from the engine and never stop a run either.
 */
export async function captionGroups(backend: CaptionBackend, groups: readonly CaptionGroup[], opts: CaptionGroupsOptions): Promise<CaptionGroupsResult> {
  const totals: CaptionTotals = { generated: 0, skipped: 0, failed: 0, captions: 0, cancelled: false };
  const files: string[] = [];
  const failures: string[] = [];
  const fail = (line: string) => {
    failures.push(line);
    opts.onFailure?.(line);
  };
  const tracker = new CaptionRunProgress(groups.map((g) => g.images.length));
  const report = () => opts.onProgress?.(tracker.message(), tracker.total ? tracker.done / tracker.total : 1);
  for (let i = 0; i < groups.length && !opts.signal?.aborted; i++) {
    const group = groups[i]!;
    tracker.startGroup(i);
    report();
    try {
      const summary = await captionImages(backend, group.images, {
        root: group.root,
        captioner: opts.captioner,
        settings: opts.settings,
        workerOptions: opts.workerOptions,
        signal: opts.signal,
        onProgress: (p) => {
          tracker.update(p);
          report();
        },
        onResult: (r) => {
          if ('error' in r) fail(`${r.path}: ${r.error}`);
        },
      });
      totals.generated += summary.generated;
      totals.skipped += summary.skipped;
      totals.failed += summary.failed;
      totals.captions += summary.captions;
      totals.cancelled ||= summary.cancelled;
      files.push(summary.file);
      await opts.onGroupDone?.(summary.file);
    } catch (err) {
      totals.failed += group.images.length;
      fail(`${captionsFileFor(group.root)}: ${errorMessage(err)}`);
    }
  }
  totals.cancelled ||= opts.signal?.aborted ?? false;
  return { totals, files, failures };
}
