// The shape of a CLI subcommand, shared flags, and helpers every command uses.
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { Engine } from '../engine/engine';
import { defaultCacheDir, resolveModel } from '../engine/models/resolve';
import { DEFAULT_MODEL_ID } from '../engine/models/manifest';
import { indexModelSpec } from '../engine/index/identity';
import { parseBackground } from '../engine/preprocess/pipeline';
import type { EngineOptions, ExecutionProviderSetting } from '../engine/types';
import { limitProblem, type LimitKey } from '../engine/util/limits';
import { printLines } from './output';
import { errorMessage } from '../engine/util/errors';

export interface Command {
  name: string;
  /** One line for the command list. */
  summary: string;
  /** Full usage text for `<command> --help`. */
  usage: string;
  /** Exit code: 0 when the command ran (per-item errors are part of its output). */
  run(argv: string[]): Promise<number>;
}

/** Bad flags or arguments: printed as one line with a pointer to --help, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

type OptionSpec = NonNullable<ParseArgsConfig['options']>;

/** Flags every model-using command accepts. */
export const GLOBAL_OPTIONS = {
  model: { type: 'string' },
  'cache-dir': { type: 'string' },
  threads: { type: 'string' },
  provider: { type: 'string' },
  background: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies OptionSpec;

export const GLOBAL_USAGE = `Global options:
  --model ID|DIR        registry model id or a model folder (default: the model an existing index
                        was built with, else ${DEFAULT_MODEL_ID})
  --cache-dir DIR       where downloaded models live (default: $MOBILECLIP_ASSETS_CACHE or the user cache)
  --threads N           onnxruntime intra-op threads (default: onnxruntime's choice)
  --provider P          auto | cpu | cuda | coreml | dml (default auto; falls back to cpu)
  --background #RRGGBB  colour transparent pixels are flattened onto (default #ffffff)
  -h, --help            show help`;

/** parseArgs with errors turned into UsageError. */
export function parseCommandArgs<O extends OptionSpec>(argv: string[], options: O) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    const msg = errorMessage(err);
    const unknown = /Unknown option '([^']+)'/.exec(msg);
    throw new UsageError(unknown ? `unknown option ${unknown[1]}` : msg.split('\n')[0]);
  }
}

/**
 * A numeric flag, checked against the one table of ranges (engine/util/limits.ts); the one way
 * every command reads numbers. A flag that was not given stays undefined.
 */
export function numberFlag(flag: string, raw: string, key: LimitKey): number;
export function numberFlag(flag: string, raw: string | undefined, key: LimitKey): number | undefined;
export function numberFlag(flag: string, raw: string | undefined, key: LimitKey): number | undefined {
  if (raw === undefined) return undefined;
  const n = raw.trim() === '' ? Number.NaN : Number(raw);
  const problem = limitProblem(key, n);
  if (problem) throw new UsageError(`${flag} ${problem}, got "${raw}"`);
  return n;
}

type ParsedArgs<O extends OptionSpec> = ReturnType<typeof parseCommandArgs<O>>;

export interface CommandSpec<O extends OptionSpec> {
  name: string;
  summary: string;
  usage: string;
  /** Flags; every command has `help`. */
  options: O & { help: { type: 'boolean'; short: 'h' } };
  /** How many positionals the command takes, and what to say when they are missing or too many. */
  positionals?: { min?: number; max?: number; missing?: string; tooMany?: string | ((count: number) => string) };
  run(values: ParsedArgs<O>['values'], positionals: string[]): Promise<number>;
}

/**
 * A subcommand from its spec, with the prologue every command shares: flags parsed strictly,
 * --help printing the usage, and the positional count checked (usage errors exit with 2).
 */
export function defineCommand<O extends OptionSpec>(spec: CommandSpec<O>): Command {
  return {
    name: spec.name,
    summary: spec.summary,
    usage: spec.usage,
    async run(argv) {
      const { values, positionals } = parseCommandArgs(argv, spec.options);
      if ((values as { help?: boolean }).help) {
        process.stdout.write(`${spec.usage}\n`);
        return 0;
      }
      const { min = 0, max = Infinity, missing, tooMany } = spec.positionals ?? {};
      if (positionals.length < min) throw new UsageError(missing ?? `expected at least ${min} argument${min === 1 ? '' : 's'}`);
      if (positionals.length > max) {
        const message = typeof tooMany === 'function' ? tooMany(positionals.length) : (tooMany ?? missing);
        throw new UsageError(message ?? `expected at most ${max} argument${max === 1 ? '' : 's'}`);
      }
      return spec.run(values, positionals);
    },
  };
}

const PROVIDERS: readonly ExecutionProviderSetting[] = ['auto', 'cpu', 'cuda', 'coreml', 'dml'];

export interface GlobalValues {
  model?: string;
  'cache-dir'?: string;
  threads?: string;
  provider?: string;
  background?: string;
}

/** Engine options from the global flags (validated: bad values are usage errors). */
export function engineOptionsFrom(values: GlobalValues): EngineOptions {
  const opts: EngineOptions = { log: (line) => printLines(process.stderr, line) };
  if (values.threads !== undefined) opts.threads = numberFlag('--threads', values.threads, 'threads');
  if (values.provider !== undefined) {
    if (!PROVIDERS.includes(values.provider as ExecutionProviderSetting)) {
      throw new UsageError(`--provider must be one of ${PROVIDERS.join(', ')}, got "${values.provider}"`);
    }
    opts.executionProvider = values.provider as ExecutionProviderSetting;
  }
  if (values.background !== undefined) {
    try {
      parseBackground(values.background);
    } catch (err) {
      throw new UsageError(`--background: ${errorMessage(err)}`);
    }
    opts.background = values.background;
  }
  return opts;
}

/**
 * Resolve the model (offline) and start an engine; model errors propagate with their messages.
 * The model is --model when given, else the one the index in `indexDir` was built with (commands
 * that read an index), else the default.
 */
export async function openEngine(values: GlobalValues, extra: EngineOptions = {}, indexDir?: string): Promise<Engine> {
  const options = { ...engineOptionsFrom(values), ...extra };
  const cacheDir = values['cache-dir'] ?? defaultCacheDir();
  const fromIndex = values.model === undefined && indexDir !== undefined ? await indexModelSpec(indexDir) : undefined;
  let model;
  try {
    model = await resolveModel(values.model ?? fromIndex ?? DEFAULT_MODEL_ID, { cacheDir });
  } catch (err) {
    if (fromIndex === undefined) throw err;
    throw new Error(
      `the index in ${indexDir} was built with ${fromIndex.replace(/^local:/, '')}, which cannot be loaded: ${oneLine(err)}\nPass --model to use another model (the index is then rebuilt for it).`,
    );
  }
  return Engine.create(model, options);
}

/** Errors as a single line: multi-line model errors keep their essentials. */
export function oneLine(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const e = err as Error & { problems?: unknown; missing?: unknown };
  const first = (e.message.split('\n')[0] ?? '').trim();
  if (Array.isArray(e.problems) && e.problems.length) {
    return `${first.replace(/:$/, '')}: ${e.problems.join('; ')}`;
  }
  if (Array.isArray(e.missing) && e.missing.length) {
    const missing = e.missing as Array<{ path: string; dest: string; url: string }>;
    // Every file shares one revision folder and one URL prefix: name them once.
    const m0 = missing[0];
    const dir = m0.dest.slice(0, m0.dest.length - m0.path.length);
    const url = m0.url.slice(0, m0.url.length - encodeURI(m0.path).length);
    return `${first} Put ${missing.map((m) => m.path).join(', ')} from ${url} into ${dir}`;
  }
  return e.message
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .join(' ');
}
