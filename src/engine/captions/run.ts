// Captioning a set of images into a folder's captions file: incremental (images whose bytes,
// model and settings are unchanged are skipped without touching the worker), cancellable,
// with progress + ETA, and saved as it goes so a cancel or crash keeps the work done so far.
//
// The backend is anything with the worker client's request(): the extension passes its Engine
// (one worker process for embeddings and captions); the CLI passes a bare WorkerClient (no CLIP
// model loaded at all).
import * as path from 'node:path';
import { sha256File } from '../index/hash';
import type { EngineOptions } from '../types';
import type { BodyOf, RequestOptions } from '../worker/client';
import type { CaptionResult } from '../worker/protocol';
import type { ResolvedCaptioner } from './models';
import { resolveCaptionSettings, runKey, SAMPLER_VERSION, type CaptionRun, type CaptionSettings } from './settings';
import { captionsFileFor, captionsFor, loadCaptionStore, needsCaptions, relativeCaptionPath, setGeneratedCaptions, updateCaptionStore } from './store';
import { addDistinct } from './text';

export interface CaptionBackend {
  request(body: BodyOf<'caption'>, opts?: RequestOptions): Promise<{ count: number }>;
}

export interface CaptionProgress {
  /** Images finished (generated, skipped or failed) out of `total`. */
  done: number;
  total: number;
  generated: number;
  skipped: number;
  failed: number;
  /** Captions per second over this run's generated images (undefined before the first). */
  captionsPerSecond?: number;
  /** Estimated milliseconds left (undefined until there is a rate). */
  etaMs?: number;
}

export type CaptionImageResult = { path: string; relPath: string; status: 'generated' | 'skipped'; captions: string[] } | { path: string; relPath?: string; error: string };

export interface CaptionImagesOptions {
  /** The dataset folder: image keys are relative to it and the captions file lives in it. */
  root: string;
  captioner: ResolvedCaptioner;
  settings?: Partial<CaptionSettings>;
  /** Decode/thread options sent with each request (for a worker with no CLIP model loaded). */
  workerOptions?: Omit<EngineOptions, 'log' | 'workerScript'>;
  /** Re-caption even images that are up to date. */
  force?: boolean;
  /** Images per worker request; the file is saved after each (default 8). */
  chunkSize?: number;
  /** Captions file (default `<root>/.mobileclip/captions.json`). */
  file?: string;
  signal?: AbortSignal;
  onProgress?: (p: CaptionProgress) => void;
  onResult?: (r: CaptionImageResult) => void;
}

export interface CaptionRunSummary {
  /** In input order (duplicates removed). */
  results: CaptionImageResult[];
  generated: number;
  skipped: number;
  failed: number;
  /** Captions written by this run. */
  captions: number;
  cancelled: boolean;
  file: string;
  run: CaptionRun;
  runKey: string;
  elapsedMs: number;
  /** Entries of the captions file that were ignored (and kept as they were): show them to the user. */
  problems: string[];
}

/**
 * The run identity recorded with generated captions. A local folder is named by its folder name
 * only (its absolute path would make the key machine-specific; the fingerprint identifies it).
 */
export function captionRun(captioner: ResolvedCaptioner, settings: CaptionSettings): CaptionRun {
  return {
    model: captioner.id.startsWith('local:') ? `local:${path.basename(captioner.dir)}` : captioner.id,
    modelFingerprint: captioner.fingerprint,
    dtype: captioner.dtype,
    settings,
    samplerVersion: SAMPLER_VERSION,
  };
}

/** Captions `paths` (absolute image files under `opts.root`) and records them in the captions file. */
// Long: one run whose steps (skip up-to-date, caption, checkpoint the file, progress, cancel) share its counters and file state.
export async function captionImages(backend: CaptionBackend, paths: readonly string[], opts: CaptionImagesOptions): Promise<CaptionRunSummary> {
  const started = Date.now();
  const settings = resolveCaptionSettings(opts.settings);
  const run = captionRun(opts.captioner, settings);
  const key = runKey(run);
  const file = opts.file ?? captionsFileFor(opts.root);
  const store = await loadCaptionStore(opts.root, file);
  const unique = [...new Set(paths)];
  const results = new Array<CaptionImageResult>(unique.length);
  const progress: CaptionProgress = { done: 0, total: unique.length, generated: 0, skipped: 0, failed: 0 };
  let captionCount = 0;
  let generationStarted: number | undefined;
  let todoCount = 0;
  let failedBeforeGeneration = 0;

  const report = () => {
    if (generationStarted !== undefined && progress.generated > 0) {
      const elapsed = Date.now() - generationStarted;
      progress.captionsPerSecond = (captionCount * 1000) / Math.max(1, elapsed);
      const handled = progress.generated + progress.failed - failedBeforeGeneration;
      progress.etaMs = Math.round((elapsed / handled) * Math.max(0, todoCount - handled));
    }
    opts.onProgress?.({ ...progress });
  };
  const finish = (index: number, r: CaptionImageResult) => {
    results[index] = r;
    progress.done++;
    if ('error' in r) progress.failed++;
    else if (r.status === 'generated') progress.generated++;
    else progress.skipped++;
    opts.onResult?.(r);
    report();
  };

  // 1. Hash each file (cheap next to captioning) and skip the ones that are up to date.
  const todo: Array<{ index: number; path: string; relPath: string; sha256: string }> = [];
  for (let i = 0; i < unique.length; i++) {
    if (opts.signal?.aborted) break;
    const p = unique[i]!;
    let relPath: string;
    try {
      relPath = relativeCaptionPath(opts.root, p);
    } catch {
      finish(i, { path: p, error: `not inside the dataset folder ${opts.root}` });
      continue;
    }
    let sha256: string;
    try {
      sha256 = await sha256File(p, opts.signal);
    } catch (err) {
      if (opts.signal?.aborted) break;
      // UnreadableFileError says what the path is instead (missing, a folder, a FIFO, too large).
      finish(i, { path: p, relPath, error: (err as Error).message });
      continue;
    }
    if (!opts.force && !needsCaptions(store, relPath, sha256, key)) {
      finish(i, { path: p, relPath, status: 'skipped', captions: captionsFor(store, relPath) });
    } else {
      todo.push({ index: i, path: p, relPath, sha256 });
    }
  }
  todoCount = todo.length;
  failedBeforeGeneration = progress.failed;

  // 2. Caption the rest in chunks; save after each chunk.
  const chunkSize = Math.max(1, opts.chunkSize ?? 8);
  let cancelled = opts.signal?.aborted ?? false;
  let failedRequests = 0;
  for (let start = 0; start < todo.length && !cancelled; start += chunkSize) {
    const chunk = todo.slice(start, start + chunkSize);
    const fresh = new Map<string, { sha256: string; captions: string[] }>();
    generationStarted ??= Date.now();
    try {
      await backend.request(
        {
          type: 'caption',
          modelDir: opts.captioner.dir,
          paths: chunk.map((t) => t.path),
          count: settings.count,
          seed: settings.seed,
          topK: settings.topK,
          temperature: settings.temperature,
          maxNewTokens: settings.maxNewTokens,
          dtype: opts.captioner.dtype,
          options: opts.workerOptions,
        },
        {
          signal: opts.signal,
          onItem: (i, result) => {
            const t = chunk[i];
            if (!t || results[t.index]) return;
            const r = result as CaptionResult;
            if ('error' in r) {
              finish(t.index, { path: t.path, relPath: t.relPath, error: r.error });
            } else if (r.captions.length === 0) {
              finish(t.index, { path: t.path, relPath: t.relPath, error: 'the captioner produced no caption' });
            } else {
              fresh.set(t.relPath, { sha256: r.sha256 ?? t.sha256, captions: r.captions });
              captionCount += r.captions.length;
              const shown = [...(store.images.get(t.relPath)?.user ?? [])];
              addDistinct(shown, r.captions);
              finish(t.index, { path: t.path, relPath: t.relPath, status: 'generated', captions: shown });
            }
          },
        },
      );
      failedRequests = 0;
    } catch (err) {
      if (opts.signal?.aborted) {
        cancelled = true;
      } else {
        // The whole request failed (the model cannot load, the worker crashed): every unanswered
        // image of the chunk fails. Twice in a row means it is not one bad file: stop there.
        const message = (err as Error).message;
        const rest = ++failedRequests >= 2 ? todo.slice(start) : chunk;
        for (const t of rest) if (!results[t.index]) finish(t.index, { path: t.path, relPath: t.relPath, error: message });
        if (failedRequests >= 2) start = todo.length;
      }
    }
    if (fresh.size) {
      await updateCaptionStore(
        opts.root,
        (s) => {
          for (const [relPath, f] of fresh) setGeneratedCaptions(s, relPath, f.sha256, run, key, f.captions);
        },
        file,
      );
    }
  }
  cancelled ||= opts.signal?.aborted ?? false;

  const done = results.filter((r): r is CaptionImageResult => r !== undefined);
  return {
    results: done,
    generated: progress.generated,
    skipped: progress.skipped,
    failed: progress.failed,
    captions: captionCount,
    cancelled,
    file,
    run,
    runKey: key,
    elapsedMs: Date.now() - started,
    problems: store.problems,
  };
}
