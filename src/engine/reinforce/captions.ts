// Synthetic captions for a reinforcement run from the project's captioner (src/engine/captions),
// behind the small CaptionSource interface the run uses (tests plug in plain functions).
import { captionImages, resolveCaptionSettings, runKey, SAMPLER_VERSION, type CaptionBackend, type CaptionSettings, type ResolvedCaptioner } from '../captions';
import type { EngineOptions } from '../types';
import type { CaptionSource } from './reinforce';

export interface CaptionerSourceOptions {
  /** The input folder (captions are keyed by paths relative to it). */
  root: string;
  captioner: ResolvedCaptioner;
  settings?: Partial<CaptionSettings>;
  /** Captions file used as the run's cache (so a resumed run does not caption again). */
  file: string;
  workerOptions?: Omit<EngineOptions, 'log' | 'workerScript'>;
  signal?: AbortSignal;
  /** Images the captioner failed on (they get no synthetic captions; the run goes on). */
  onError?: (path: string, error: string) => void;
}

/** A CaptionSource plus the identity string recorded in the dataset manifest. */
export function captionerSource(backend: CaptionBackend, opts: CaptionerSourceOptions): { source: CaptionSource; id: string } {
  const settings = resolveCaptionSettings(opts.settings);
  const key = runKey({
    model: opts.captioner.id,
    modelFingerprint: opts.captioner.fingerprint,
    dtype: opts.captioner.dtype,
    settings,
    samplerVersion: SAMPLER_VERSION,
  });
  const id = `${opts.captioner.id} fingerprint ${opts.captioner.fingerprint} settings ${JSON.stringify(settings)} run ${key}`;
  const source: CaptionSource = async (paths) => {
    const summary = await captionImages(backend, paths, {
      root: opts.root,
      captioner: opts.captioner,
      settings,
      file: opts.file,
      workerOptions: opts.workerOptions,
      signal: opts.signal,
    });
    if (summary.cancelled) throw new Error('captioning cancelled');
    const out = new Map<string, string[]>();
    for (const r of summary.results) {
      if ('error' in r) opts.onError?.(r.path, r.error);
      else out.set(r.path, r.captions);
    }
    return out;
  };
  return { source, id };
}
