// `npm run bench`: the benchmark suite (not part of the tests). Every figure is a ratio against a
// baseline measured in the same run, repeated, with min/median/max, because the machine it runs
// on may be shared. Results go to bench/results.json (latest result per section, so a subset
// run keeps the others), bench/RESULTS.md and bench/charts/*.svg, and are printed.
//
//   npm run bench                          everything (~15 min on 2 cores)
//   npm run bench -- --quick               smaller sample, one repeat, no 1M index
//   npm run bench -- --only query,reindex  a subset: model, indexing, reindex, query, memory
//   options: --repeats N  --sample N  --seed N  --no-peer
import { existsSync, promises as fs, realpathSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { colorModelDir } from '../test/fixtures/models';
import { standinModelDir } from '../test/fixtures/standin';
import { runTask } from './lib/child';
import { countMacs, type MacCount } from './lib/macs';
import { CLIPART_ROOT, makeSample } from './lib/sample';
import { BENCH_CACHE, PROJECT_ROOT, describeMachine, spread, type MachineInfo, type Spread } from './lib/util';
import { writeReport } from './lib/report';
import type { DecodeResult } from './tasks/decode';
import type { IdleResult } from './tasks/idle';
import type { IndexResult } from './tasks/index';
import type { ModelResult, SessionVariant } from './tasks/model';
import type { PeerResult } from './tasks/peer';
import type { QueryResult } from './tasks/query';
import type { ReindexResult } from './tasks/reindex';

export const SECTIONS = ['model', 'indexing', 'reindex', 'query', 'memory'] as const;
export type Section = (typeof SECTIONS)[number];
const ALIASES: Record<string, Section> = {
  throughput: 'indexing', responsiveness: 'indexing', eld: 'indexing', index: 'indexing',
  latency: 'query', search: 'query', scoring: 'query', mem: 'memory', batch: 'model',
};

export interface Options {
  only: Section[];
  quick: boolean;
  repeats: number;
  sample: number;
  seed: number;
  peer: boolean;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { only: [...SECTIONS], quick: false, repeats: 3, sample: 500, seed: 1, peer: true };
  let repeats: number | undefined;
  let sample: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--quick') o.quick = true;
    else if (a === '--no-peer') o.peer = false;
    else if (a === '--only') {
      o.only = value().split(',').map((s) => s.trim()).filter(Boolean).map((s) => {
        const sec = (SECTIONS as readonly string[]).includes(s) ? (s as Section) : ALIASES[s];
        if (!sec) throw new Error(`unknown section "${s}" (sections: ${SECTIONS.join(', ')})`);
        return sec;
      });
    } else if (a === '--repeats') repeats = Number(value());
    else if (a === '--sample') sample = Number(value());
    else if (a === '--seed') o.seed = Number(value());
    else if (a === '--help' || a === '-h') {
      console.log('npm run bench -- [--quick] [--only model,indexing,reindex,query,memory] [--repeats N] [--sample N] [--seed N] [--no-peer]');
      process.exit(0);
    } else throw new Error(`unknown option ${a}`);
  }
  o.repeats = repeats ?? (o.quick ? 1 : 3);
  o.sample = sample ?? (o.quick ? 100 : 500);
  if (!(o.repeats >= 1) || !(o.sample >= 1)) throw new Error('--repeats and --sample must be positive');
  return o;
}

/**
 * How the product runs the engine. The VS Code extension (src/extension/modelService.ts and
 * assets/folderState.ts) gives onnxruntime half the cores and passes the batch-size setting
 * (default 16) to both the worker and the indexer; the bench measures exactly that.
 */
export function extensionConfig(): { engine: { threads: number; batchSize: number }; indexerBatchSize: number } {
  return { engine: { threads: Math.max(1, Math.floor(os.cpus().length / 2)), batchSize: 16 }, indexerBatchSize: 16 };
}

export interface RunMeta {
  date: string;
  command: string;
  machine: MachineInfo;
  loadAfter: number[];
  seconds: number;
}

export interface ModelSection {
  meta: RunMeta;
  vision: MacCount & { fileBytes: number };
  text: MacCount & { fileBytes: number };
  sweep: ModelResult;
  variants?: ModelResult;
  threadsExtension: number;
}

export interface IndexingRound {
  decode: DecodeResult;
  decodeThumbs: DecodeResult;
  model: ModelResult;
  index: IndexResult;
  peer?: PeerResult;
  D: number;
  M: number;
  Mbatch: number;
  bound: number;
}

export interface IndexingSection {
  meta: RunMeta;
  sample: { clipart: number; photos: number; seed: number; files: number };
  config: ReturnType<typeof extensionConfig>;
  rounds: IndexingRound[];
  ofBound: Spread;
  vsPeer?: Spread;
  rate: Spread;
  peerRate?: Spread;
  boundRate: Spread;
  D: Spread;
  M: Spread;
}

export interface ReindexSection {
  meta: RunMeta;
  build: IndexResult & { date: string; model: string };
  result: ReindexResult;
  update: Spread;
  open: Spread;
}

export interface QuerySection {
  meta: RunMeta;
  config: ReturnType<typeof extensionConfig>;
  sizes: QueryResult[];
}

export interface MemorySection {
  meta: RunMeta;
  idle: IdleResult[];
}

export interface Results {
  model?: ModelSection;
  indexing?: IndexingSection;
  reindex?: ReindexSection;
  query?: QuerySection;
  memory?: MemorySection;
}

export const RESULTS_FILE = path.join(PROJECT_ROOT, 'bench', 'results.json');

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

function meta(started: number, argv: string[]): RunMeta {
  return {
    date: new Date().toISOString(),
    command: `npm run bench${argv.length ? ` -- ${argv.join(' ')}` : ''}`,
    machine: machineAtStart!,
    loadAfter: os.loadavg().map((l) => Math.round(l * 100) / 100),
    seconds: Math.round((performance.now() - started) / 100) / 10,
  };
}

let machineAtStart: MachineInfo | undefined;

async function modelSection(o: Options, dir: string, argv: string[]): Promise<ModelSection> {
  const started = performance.now();
  log('\n== model: stand-in compute and throughput vs batch size');
  const vf = path.join(dir, 'onnx', 'vision_model.onnx');
  const tf = path.join(dir, 'onnx', 'text_model.onnx');
  const vision = { ...(await countMacs(vf)), fileBytes: (await fs.stat(vf)).size };
  const text = { ...(await countMacs(tf)), fileBytes: (await fs.stat(tf)).size };
  log(`  vision ${(vision.total / 1e9).toFixed(3)} GMACs/image, text ${(text.total / 1e9).toFixed(3)} GMACs/text`);
  const threadsExtension = extensionConfig().engine.threads;
  const cores = os.cpus().length;
  const variants: SessionVariant[] = [];
  for (const t of [...new Set([cores, threadsExtension])]) variants.push({ name: `${t} thread${t > 1 ? 's' : ''}`, threads: t });
  const sweep = await runTask<ModelResult>('model', {
    modelDir: dir,
    batchSizes: o.quick ? [1, 4, 16] : [1, 2, 4, 8, 16, 32],
    seconds: o.quick ? 1.5 : 2.5,
    rounds: o.quick ? 1 : 2,
    variants,
  });
  let variantResult: ModelResult | undefined;
  if (!o.quick) {
    log('  session options (batch 16)');
    variantResult = await runTask<ModelResult>('model', {
      modelDir: dir,
      batchSizes: [16],
      seconds: 3,
      rounds: 2,
      variants: [
        { name: 'default (all optimizations)', threads: cores },
        { name: 'no spin-wait', threads: cores, spinning: false },
        { name: 'basic optimizations', threads: cores, optimization: 'basic' },
        { name: 'no optimizations', threads: cores, optimization: 'disabled' },
        { name: 'no memory arena', threads: cores, memArena: false },
        { name: `${threadsExtension} thread, no spin-wait`, threads: threadsExtension, spinning: false },
      ],
    });
  }
  return { meta: meta(started, argv), vision, text, sweep, variants: variantResult, threadsExtension };
}

function bestPoint(r: ModelResult): { rate: number; batch: number } {
  let best = { rate: 0, batch: 0 };
  for (const p of r.points) if (p.best > best.rate) best = { rate: p.best, batch: p.batch };
  return best;
}

async function indexingSection(o: Options, dir: string, argv: string[]): Promise<IndexingSection> {
  const started = performance.now();
  const sample = await makeSample(o.sample, o.seed);
  const config = extensionConfig();
  log(`\n== indexing: ${sample.files.length} images (${sample.clipart} clip-art PNGs, seed ${o.seed}, + ${sample.photos} WebP photos), ${o.repeats} round(s)`);
  const rounds: IndexingRound[] = [];
  const imageSize = 256;
  for (let r = 0; r < o.repeats; r++) {
    log(`  round ${r + 1}/${o.repeats}`);
    const steps: Array<() => Promise<void>> = [];
    const round: Partial<IndexingRound> = {};
    steps.push(async () => {
      round.decode = await runTask<DecodeResult>('decode', { modelDir: dir, imageSize, files: sample.files, concurrency: [2, 4], thumbnails: false });
      round.decodeThumbs = await runTask<DecodeResult>('decode', { modelDir: dir, imageSize, files: sample.files, concurrency: [round.decode.best.concurrency], thumbnails: true });
    });
    steps.push(async () => {
      round.model = await runTask<ModelResult>('model', { modelDir: dir, batchSizes: [8, 16, 32], seconds: o.quick ? 2 : 3, rounds: 1, product: { threads: 0 } });
    });
    steps.push(async () => {
      round.index = await runTask<IndexResult>('index', {
        modelDir: dir,
        root: sample.workspace,
        indexDir: path.join(BENCH_CACHE, 'tmp', 'index-sample'),
        fresh: true,
        engine: config.engine,
        indexerBatchSize: config.indexerBatchSize,
        thumbnails: true,
        label: 'index',
      });
      const i = round.index;
      // Report failures by the real file (the workspace holds symlinks), to compare with the peer's.
      i.failed = i.failed.map((f) => ({ ...f, path: realpathSync(path.join(sample.workspace, f.path)) }));
      log(`    index: ${i.rate.toFixed(2)} images/s, ${i.failed.length} failed, event-loop delay p99 ${i.eventLoopDelayMs.p99.toFixed(1)} ms`);
    });
    if (o.peer) {
      steps.push(async () => {
        round.peer = await runTask<PeerResult>('peer', { modelDir: dir, files: sample.files });
        log(`    peer: ${round.peer.rate.toFixed(2)} images/s, ${round.peer.failures.length} failed`);
      });
    }
    // Rotate the order so a load trend on the machine does not always favour the same contender.
    for (let k = 0; k < steps.length; k++) await steps[(k + r) % steps.length]!();
    const D = round.decode!.best.rate;
    const best = bestPoint(round.model!);
    const bound = 1 / (1 / D + 1 / best.rate);
    rounds.push({ ...(round as IndexingRound), D, M: best.rate, Mbatch: best.batch, bound });
    log(`    D ${D.toFixed(1)}/s, M ${best.rate.toFixed(1)}/s (batch ${best.batch}) -> bound ${bound.toFixed(1)}/s; index at ${((round.index!.rate / bound) * 100).toFixed(0)} % of it` +
      (round.peer ? `, ${(round.index!.rate / round.peer.rate).toFixed(2)}x the peer` : ''));
  }
  return {
    meta: meta(started, argv),
    sample: { clipart: sample.clipart, photos: sample.photos, seed: sample.seed, files: sample.files.length },
    config,
    rounds,
    ofBound: spread(rounds.map((r) => r.index.rate / r.bound)),
    vsPeer: o.peer ? spread(rounds.map((r) => r.index.rate / r.peer!.rate)) : undefined,
    rate: spread(rounds.map((r) => r.index.rate)),
    peerRate: o.peer ? spread(rounds.map((r) => r.peer!.rate)) : undefined,
    boundRate: spread(rounds.map((r) => r.bound)),
    D: spread(rounds.map((r) => r.D)),
    M: spread(rounds.map((r) => r.M)),
  };
}

async function reindexSection(o: Options, argv: string[]): Promise<ReindexSection> {
  const started = performance.now();
  const base = path.join(BENCH_CACHE, 'reindex-8k');
  const indexDir = path.join(base, 'index');
  const metaFile = path.join(base, 'build.json');
  // The first full index of the 8,000+ PNGs is built once with a cheap model (re-index cost does
  // not depend on the model) and cached; it also gives the memory figures for an 8k run.
  let build: ReindexSection['build'];
  if (existsSync(metaFile) && existsSync(path.join(indexDir, 'index.json'))) {
    build = JSON.parse(await fs.readFile(metaFile, 'utf8')) as ReindexSection['build'];
  } else {
    log(`\n== reindex: building the cached index of ${CLIPART_ROOT} once (cheap model; takes a few minutes)`);
    const cheap = await colorModelDir({ dim: 512, imageSize: 256 });
    const result = await runTask<IndexResult>('index', {
      modelDir: cheap,
      root: CLIPART_ROOT,
      indexDir,
      fresh: true,
      engine: extensionConfig().engine,
      indexerBatchSize: extensionConfig().indexerBatchSize,
      thumbnails: true,
      label: 'index 8k',
    });
    build = { ...result, date: new Date().toISOString(), model: 'colour fixture (test/fixtures/models.ts), 512-d, 256 px' };
    await fs.mkdir(base, { recursive: true });
    await fs.writeFile(metaFile, JSON.stringify(build, null, 2));
  }
  log(`\n== reindex: ${build.total} images, unchanged`);
  const result = await runTask<ReindexResult>('reindex', { root: CLIPART_ROOT, indexDir, info: build.info, runs: o.quick ? 3 : 5 });
  return { meta: meta(started, argv), build, result, update: spread(result.update), open: spread(result.open) };
}

async function querySection(o: Options, dir: string, argv: string[]): Promise<QuerySection> {
  const started = performance.now();
  const config = extensionConfig();
  const sizes = o.quick ? [10_000, 100_000] : [10_000, 100_000, 1_000_000];
  log(`\n== query: ${sizes.map((s) => s.toLocaleString('en')).join(', ')} vectors`);
  const out: QueryResult[] = [];
  for (const rows of sizes) {
    const runs = rows >= 1_000_000 ? 7 : rows >= 100_000 ? (o.quick ? 9 : 21) : (o.quick ? 15 : 31);
    out.push(await runTask<QueryResult>('query', { modelDir: dir, rows, runs, text: true, engine: config.engine }));
  }
  return { meta: meta(started, argv), config, sizes: out };
}

async function memorySection(o: Options, dir: string, argv: string[]): Promise<MemorySection> {
  const started = performance.now();
  log('\n== memory: idle with a 100k-image index loaded');
  const idle: IdleResult[] = [];
  for (const dtype of o.quick ? (['float32'] as const) : (['float32', 'float16'] as const)) {
    const args = { modelDir: dir, rows: 100_000, dtype, engine: extensionConfig().engine };
    await runTask<IdleResult>('idle', { ...args, prepareOnly: true });
    const r = await runTask<IdleResult>('idle', args, { nodeFlags: ['--expose-gc'] });
    log(`  ${dtype}: host ${(r.hostRss / 2 ** 20).toFixed(0)} MiB (baseline ${(r.hostBaseline / 2 ** 20).toFixed(0)} MiB), worker ${(r.workerRss / 2 ** 20).toFixed(0)} MiB`);
    idle.push(r);
  }
  return { meta: meta(started, argv), idle };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const o = parseArgs(argv);
  machineAtStart = describeMachine();
  const m = machineAtStart;
  log(`MobileCLIP Assets benchmarks — ${new Date().toISOString()}`);
  log(`${m.cpu}, ${m.cores} cores, ${m.memory}; Node ${m.node}, onnxruntime-node ${m.onnxruntime}, sharp ${m.sharp} (libvips ${m.libvips}); load average ${m.loadAverage.join(' ')}`);
  log(`sections: ${o.only.join(', ')}${o.quick ? ' (quick)' : ''}`);
  const t0 = performance.now();
  const dir = await standinModelDir();
  const results: Results = existsSync(RESULTS_FILE) ? (JSON.parse(await fs.readFile(RESULTS_FILE, 'utf8')) as Results) : {};
  const save = async () => {
    await fs.writeFile(RESULTS_FILE, JSON.stringify(results, null, 1) + '\n');
    await fs.mkdir(path.join(PROJECT_ROOT, 'bench', 'out'), { recursive: true });
  };
  for (const section of SECTIONS) {
    if (!o.only.includes(section)) continue;
    switch (section) {
      case 'model': results.model = await modelSection(o, dir, argv); break;
      case 'indexing': results.indexing = await indexingSection(o, dir, argv); break;
      case 'reindex': results.reindex = await reindexSection(o, argv); break;
      case 'query': results.query = await querySection(o, dir, argv); break;
      case 'memory': results.memory = await memorySection(o, dir, argv); break;
    }
    await save();
  }
  await fs.rm(path.join(BENCH_CACHE, 'tmp'), { recursive: true, force: true });
  const report = await writeReport(results);
  console.log(report);
  log(`\nbench finished in ${((performance.now() - t0) / 60000).toFixed(1)} min; wrote bench/RESULTS.md, bench/results.json, bench/charts/`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack ?? err.message : err);
  process.exit(1);
});
