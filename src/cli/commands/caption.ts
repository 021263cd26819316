// `mobileclip-assets caption`: synthetic captions for images or folders, written to the
// dataset's captions file (`<folder>/.mobileclip/captions.json`) and printed.
import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import {
  captionerFilePlan,
  captionImages,
  captionsFileFor,
  DEFAULT_CAPTIONER_ID,
  DEFAULT_CAPTION_SETTINGS,
  getCaptionerManifest,
  resolveCaptioner,
  resolveCaptionSettings,
  type CaptionImageResult,
  type CaptionProgress,
  type CaptionSettings,
} from '../../engine/captions';
import { scanFolder } from '../../engine/index/scan';
import { notRegularReason } from '../../engine/util/files';
import { downloadHubFiles } from '../../engine/models/download';
import { defaultCacheDir } from '../../engine/models/paths';
import { isPrecision } from '../../engine/models/precision';
import { WorkerClient } from '../../engine/worker/client';
import { defineCommand, GLOBAL_OPTIONS, UsageError, engineOptionsFrom, numberFlag } from '../command';
import { formatDuration } from '../../engine/util/format';
import { printLines, statusLine } from '../output';
import { errorMessage } from '../../engine/util/errors';

const USAGE = `Usage: mobileclip-assets caption [options] PATH...

Generates synthetic captions for each image (PATH may be image files or folders) with a
captioning model, several distinct sampled captions per image, reproducible for a given seed.
They are saved in the dataset's captions file, <folder>/.mobileclip/captions.json (for single
files: the nearest folder above that already has one, else the file's own folder). Images whose
bytes, model and settings are unchanged are skipped; captions you edited are never overwritten.
A file that cannot be read or decoded is reported in its item and does not stop the run.
Ctrl+C stops after saving what is done.

Options:
  --captioner ID|DIR    captioner id (${DEFAULT_CAPTIONER_ID}, captioner-distilvit,
                        captioner-florence-2-base) or a Transformers.js model folder
  --count N             captions per image (default ${DEFAULT_CAPTION_SETTINGS.count})
  --seed S              sampling seed, 0..4294967295 (default ${DEFAULT_CAPTION_SETTINGS.seed})
  --top-k K             sample among the K most likely tokens, 0 = all (default ${DEFAULT_CAPTION_SETTINGS.topK})
  --temperature T       sampling temperature > 0 (default ${DEFAULT_CAPTION_SETTINGS.temperature})
  --max-new-tokens N    longest caption in tokens (default ${DEFAULT_CAPTION_SETTINGS.maxNewTokens})
  --precision P         ONNX precision of every session (fp32, fp16, q8, ...; default: the model's)
  --root DIR            dataset folder whose captions file to use (every PATH must be inside it)
  --force               caption again even images that are up to date
  --download            download the registry captioner first if it is missing
  --json                print [{"path","captions"} | {"path","error"}]
  --cache-dir DIR       where downloaded models live (default: $MOBILECLIP_ASSETS_CACHE or the user cache)
  --threads N           onnxruntime intra-op threads (default: onnxruntime's choice)
  --background #RRGGBB  colour transparent pixels are flattened onto (default #ffffff)
  -h, --help            show help

Captioner notes: sampling is top-k + temperature (Transformers.js 4.3.1 ignores top-p and cannot
return several sequences per row, so the N captions are N decoder rows sampled side by side).`;

const OPTIONS = {
  ...GLOBAL_OPTIONS,
  captioner: { type: 'string' },
  count: { type: 'string' },
  seed: { type: 'string' },
  'top-k': { type: 'string' },
  temperature: { type: 'string' },
  'max-new-tokens': { type: 'string' },
  precision: { type: 'string' },
  root: { type: 'string' },
  force: { type: 'boolean' },
  download: { type: 'boolean' },
  json: { type: 'boolean' },
} as const;

type Printed = { path: string; captions: string[] } | { path: string; error: string };

export const caption = defineCommand({
  name: 'caption',
  summary: 'generate synthetic captions for images into the captions file',
  usage: USAGE,
  options: OPTIONS,
  async run(values, positionals) {
    if (values.model !== undefined) throw new UsageError('--model selects the CLIP model; use --captioner for captioning');
    if (values.provider !== undefined && values.provider !== 'cpu' && values.provider !== 'auto')
      throw new UsageError('captioning runs on the CPU; --provider is not supported here');
    if (!positionals.length) throw new UsageError('nothing to caption: give image files or folders');
    const settings = settingsFrom(values);
    if (values.precision !== undefined && !isPrecision(values.precision))
      throw new UsageError(`--precision must be one of fp32, fp16, q8, int8, uint8, q4, bnb4, got "${values.precision}"`);
    const { log: _log, ...workerOptions } = engineOptionsFrom(values);
    const cacheDir = values['cache-dir'] ?? defaultCacheDir();
    const spec = values.captioner ?? DEFAULT_CAPTIONER_ID;
    const dtype = values.precision as Parameters<typeof resolveCaptioner>[1]['dtype'];

    if (values.download && !/[\\/]/.test(spec) && !spec.startsWith('local:') && !path.isAbsolute(spec)) {
      const { plan } = captionerFilePlan(await getCaptionerManifest(spec), dtype);
      await downloadHubFiles(plan, { cacheDir, onProgress: (p) => progressLine(`downloading ${spec}: ${Math.floor((100 * p.bytes) / Math.max(1, p.totalBytes))}%`) });
      progressLine('');
    }
    const captioner = await resolveCaptioner(spec, { cacheDir, dtype });
    const groups = await groupByRoot(positionals, values.root);

    const controller = new AbortController();
    const onSigint = () => controller.abort();
    process.once('SIGINT', onSigint);
    const client = new WorkerClient({ log: (line) => printLines(process.stderr, line) });
    const printed: Printed[] = [];
    let cancelled = false;
    let generated = 0;
    let skipped = 0;
    let failed = 0;
    try {
      for (const g of groups) {
        printed.push(...g.errors);
        failed += g.errors.length;
        if (!g.files.length) continue;
        const summary = await captionImages(client, g.files, {
          root: g.root,
          captioner,
          settings,
          workerOptions,
          force: values.force,
          signal: controller.signal,
          onProgress: (p) => progressLine(describeProgress(p, g.root)),
        });
        progressLine('');
        // Entries of the captions file that could not be used are kept in it, and said here.
        for (const problem of summary.problems) printLines(process.stderr, `warning: ${summary.file}: ${problem}`);
        printed.push(...summary.results.map(toPrinted));
        generated += summary.generated;
        skipped += summary.skipped;
        failed += summary.failed;
        if (summary.cancelled) {
          cancelled = true;
          break;
        }
      }
    } finally {
      process.removeListener('SIGINT', onSigint);
      await client.dispose();
    }
    if (values.json) {
      process.stdout.write(`${JSON.stringify(printed)}\n`);
    } else {
      const lines: string[] = [];
      for (const p of printed) {
        if ('error' in p) lines.push(`error  ${p.path}: ${p.error}`);
        else lines.push(p.path, ...p.captions.map((c) => `  - ${c}`));
      }
      lines.push(
        `${generated} captioned, ${skipped} up to date, ${failed} failed${cancelled ? ' (cancelled)' : ''}; captioner ${captioner.id}; saved to ${groups.map((g) => captionsFileFor(g.root)).join(', ')}`,
      );
      printLines(process.stdout, lines);
    }
    return cancelled ? 130 : 0;
  },
});

function settingsFrom(values: Partial<Record<'count' | 'seed' | 'top-k' | 'temperature' | 'max-new-tokens', string>>): Partial<CaptionSettings> {
  const num = (flag: keyof typeof values, key: 'count' | 'seed' | 'topK' | 'temperature' | 'maxNewTokens'): Partial<CaptionSettings> => {
    const n = numberFlag(`--${flag}`, values[flag], `captions.${key}` as const);
    return n === undefined ? {} : { [key]: n };
  };
  const s = {
    ...num('count', 'count'),
    ...num('seed', 'seed'),
    ...num('top-k', 'topK'),
    ...num('temperature', 'temperature'),
    ...num('max-new-tokens', 'maxNewTokens'),
  };
  try {
    resolveCaptionSettings(s);
  } catch (err) {
    throw new UsageError(errorMessage(err));
  }
  return s;
}

interface RootGroup {
  root: string;
  files: string[];
  errors: Printed[];
}

/** Folders caption their images into their own file; single files go to the nearest captions file above them. */
async function groupByRoot(inputs: string[], rootFlag: string | undefined): Promise<RootGroup[]> {
  const groups = new Map<string, RootGroup>();
  const group = (root: string) => {
    let g = groups.get(root);
    if (!g) groups.set(root, (g = { root, files: [], errors: [] }));
    return g;
  };
  const forcedRoot = rootFlag !== undefined ? path.resolve(rootFlag) : undefined;
  for (const input of inputs) {
    const abs = path.resolve(input);
    const st = await fs.stat(abs).catch(() => undefined);
    if (st?.isDirectory()) {
      const g = group(forcedRoot ?? abs);
      for await (const f of scanFolder(abs)) g.files.push(path.join(abs, ...f.path.split('/')));
    } else {
      const g = group(forcedRoot ?? nearestCaptionsRoot(path.dirname(abs)));
      // A FIFO or device named x.png is reported here, never handed to a reader.
      const problem = st ? notRegularReason(st) : 'file not found';
      if (problem) g.errors.push({ path: abs, error: problem });
      else g.files.push(abs);
    }
  }
  return [...groups.values()];
}

function nearestCaptionsRoot(dir: string): string {
  for (let d = dir; ; d = path.dirname(d)) {
    if (existsSync(captionsFileFor(d))) return d;
    if (path.dirname(d) === d) return dir;
  }
}

function toPrinted(r: CaptionImageResult): Printed {
  return 'error' in r ? { path: r.path, error: r.error } : { path: r.path, captions: r.captions };
}

function describeProgress(p: CaptionProgress, root: string): string {
  const eta = p.etaMs === undefined ? '' : `, ~${formatDuration(p.etaMs / 1000)} left`;
  const rate = p.captionsPerSecond === undefined ? '' : `, ${p.captionsPerSecond.toFixed(1)} captions/s`;
  return `captioning ${path.basename(root) || root}: ${p.done}/${p.total} (${p.skipped} up to date, ${p.failed} failed${rate}${eta})`;
}

/** A status line on a terminal (overwritten in place); nothing when stderr is not a terminal. */
function progressLine(text: string): void {
  if (!process.stderr.isTTY) return;
  statusLine(process.stderr, text);
}
