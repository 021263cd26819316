// `npm run bench`: the benchmark suite (not part of the tests). Every figure is a ratio against a
// baseline measured in the same run, repeated, with min/median/max, because the machine it runs
// on may be shared. Results go to bench/results.json (latest result per section, so a subset
// run keeps the others), bench/RESULTS.md and bench/charts/*.svg, and are printed.
//
//   npm run bench                          everything (~10 min on a quiet 2-core machine)
//   npm run bench -- --quick               smaller sample, one repeat, no 1M index
//   npm run bench -- --only query,reindex  a subset: model, indexing, dedup, bigimages, reindex, query, memory
//   options: --repeats N  --sample N  --seed N  --no-peer  --no-compare  --report-only
//   tuning experiments: --threads N  --batch N  --call-size N (override the extension's choices)
import { existsSync, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { colorModelDir } from '../test/fixtures/models';
import { standinModelDir } from '../test/fixtures/standin';
import { runTask } from './lib/child';
import { countMacs, type MacCount } from './lib/macs';
import { CLIPART_ROOT, makeSample } from './lib/sample';
import { BENCH_CACHE, PROJECT_ROOT, describeMachine, mib, spread, type MachineInfo, type Spread } from './lib/util';
import { writeReport } from './lib/report';
import { writeLargePng } from '../test/fixtures/images';
import { sha256File } from '../src/engine/index/hash';
import type { VectorDType } from '../src/engine/search/vectors';
import type { DecodeResult } from './tasks/decode';
import type { HashResult } from './tasks/hash';
import type { RecallResult } from './tasks/recall';
import type { IdleResult } from './tasks/idle';
import type { IndexResult } from './tasks/index';
import type { ModelResult } from './tasks/model';
import type { PeerResult } from './tasks/peer';
import type { QueryResult } from './tasks/query';
import type { ReindexResult } from './tasks/reindex';
import type { DuplicatesResult } from './tasks/duplicates';
import type { UnusedResult } from './tasks/unused';
import { generateRepo } from './lib/repo';

export const SECTIONS = ['model', 'indexing', 'dedup', 'bigimages', 'reindex', 'query', 'memory', 'hygiene'] as const;
export type Section = (typeof SECTIONS)[number];
const ALIASES: Record<string, Section> = {
  throughput: 'indexing',
  responsiveness: 'indexing',
  eld: 'indexing',
  index: 'indexing',
  latency: 'query',
  search: 'query',
  scoring: 'query',
  mem: 'memory',
  batch: 'model',
  duplicates: 'hygiene',
  unused: 'hygiene',
  copies: 'dedup',
  huge: 'bigimages',
  decoding: 'bigimages',
  rss: 'bigimages',
  precision: 'memory',
};

export interface Options {
  only: Section[];
  quick: boolean;
  repeats: number;
  sample: number;
  seed: number;
  peer: boolean;
  /** Overrides of the extension configuration, for tuning experiments. */
  threads?: number;
  batch?: number;
  callSize?: number;
  /** Also index with the extension's settings from before the tuning, each round. */
  compare: boolean;
  /** Only rewrite RESULTS.md and the charts from results.json. */
  reportOnly: boolean;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { only: [...SECTIONS], quick: false, repeats: 3, sample: 500, seed: 1, peer: true, compare: true, reportOnly: false };
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
    else if (a === '--no-compare') o.compare = false;
    else if (a === '--report-only') o.reportOnly = true;
    else if (a === '--only') {
      o.only = value()
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
        .map((s) => {
          const sec = (SECTIONS as readonly string[]).includes(s) ? (s as Section) : ALIASES[s];
          if (!sec) throw new Error(`unknown section "${s}" (sections: ${SECTIONS.join(', ')})`);
          return sec;
        });
    } else if (a === '--repeats') repeats = Number(value());
    else if (a === '--sample') sample = Number(value());
    else if (a === '--seed') o.seed = Number(value());
    else if (a === '--threads') o.threads = Number(value());
    else if (a === '--batch') o.batch = Number(value());
    else if (a === '--call-size') o.callSize = Number(value());
    else if (a === '--help' || a === '-h') {
      console.log(
        'npm run bench -- [--quick] [--only model,indexing,dedup,bigimages,reindex,query,memory,hygiene] [--repeats N] [--sample N] [--seed N] [--no-peer] [--no-compare] [--report-only]\n' +
          '  tuning experiments (override how the extension configures the engine): [--threads N] [--batch N] [--call-size N]',
      );
      process.exit(0);
    } else throw new Error(`unknown option ${a}`);
  }
  o.repeats = repeats ?? (o.quick ? 1 : 3);
  o.sample = sample ?? (o.quick ? 100 : 500);
  if (!(o.repeats >= 1) || !(o.sample >= 1)) throw new Error('--repeats and --sample must be positive');
  return o;
}

/**
 * How the product runs the engine: the VS Code extension (src/extension/modelService.ts
 * engineOptionsFor, assets/assetLibrary.ts folderConfig) passes the threads setting (default 0:
 * onnxruntime's default, all cores) and the batch-size setting (default 16) to the worker, and
 * 256 images per embedder call to the indexer. The bench measures exactly that.
 */
export interface ProductConfig {
  engine: { threads: number; batchSize: number };
  /** Images per embedder call from the indexer. */
  indexerBatchSize: number;
  /** Tower precisions the extension asks for by default. */
  precision: { vision: 'fp32'; text: 'int8' };
  /** Set when the run overrode the extension's choices. */
  overridden?: string;
}

export function extensionConfig(o?: Pick<Options, 'threads' | 'batch' | 'callSize'>): ProductConfig {
  const c: ProductConfig = {
    engine: { threads: o?.threads ?? 0, batchSize: o?.batch ?? 16 },
    indexerBatchSize: o?.callSize ?? 256,
    precision: { vision: 'fp32', text: 'int8' },
  };
  const over = [o?.threads !== undefined && `threads ${o.threads}`, o?.batch !== undefined && `batch ${o.batch}`, o?.callSize !== undefined && `call size ${o.callSize}`].filter(
    Boolean,
  );
  if (over.length) c.overridden = over.join(', ');
  return c;
}

/**
 * The extension's settings before the tuning (bench/tuning.md), measured alongside for the
 * before/after: onnxruntime on half the cores, and the batch-size setting (16) also used as the
 * indexer's images per call, so every call drained the worker's decode/inference pipeline.
 */
export function previousExtensionConfig(): ProductConfig {
  return {
    engine: { threads: Math.max(1, Math.floor(os.cpus().length / 2)), batchSize: 16 },
    indexerBatchSize: 16,
    precision: { vision: 'fp32', text: 'int8' },
  };
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
  textInt8?: MacCount & { fileBytes: number };
  sweep: ModelResult;
  variants?: ModelResult;
  threadsExtension: number;
}

export interface IndexingRound {
  /** Baselines before and after the contenders. */
  decode: DecodeResult;
  decodeAfter: DecodeResult;
  decodeThumbs: DecodeResult;
  model: ModelResult;
  modelAfter: ModelResult;
  index: IndexResult;
  /** The same images indexed with previousExtensionConfig(). */
  previous?: IndexResult;
  peer?: PeerResult;
  /** Means of the before/after measurements. */
  D: number;
  M: number;
  Mbatch: number;
  /** Which thread setting gave M (all cores, or one: on a shared machine one is often faster). */
  Mconfig: string;
  bound: number;
}

export interface IndexingSection {
  meta: RunMeta;
  sample: { clipart: number; photos: number; seed: number; files: number };
  config: ProductConfig;
  rounds: IndexingRound[];
  ofBound: Spread;
  /** CPU time decode + model would need per image / CPU time our pipeline used per image. */
  cpuOfBound: Spread;
  vsPeer?: Spread;
  rate: Spread;
  peerRate?: Spread;
  boundRate: Spread;
  /** The same rounds with the extension's settings before the tuning. */
  previousConfig?: ProductConfig;
  previousOfBound?: Spread;
  previousVsPeer?: Spread;
  previousRate?: Spread;
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

export interface DedupRound {
  distinct: IndexResult;
  duplicated: IndexResult;
}

export interface DedupSection {
  meta: RunMeta;
  config: ProductConfig;
  /** Distinct contents, and how many times each appears in the duplicated folder. */
  files: number;
  copies: number;
  rounds: DedupRound[];
  /** Fresh-index time of the duplicated folder / of the distinct one, per round. */
  ratio: Spread;
  hash: HashResult;
}

export interface BigImagesSection {
  meta: RunMeta;
  config: ProductConfig;
  /** The whole openclipart-png set, fresh, with the stand-in model as the extension runs it. */
  clipart?: IndexResult;
  /** The same with the cheap colour model: decoding alone, as the earlier 8k figure was measured. */
  clipartCheap?: IndexResult;
  /** Ten distinct 500 MP PNGs. */
  huge: IndexResult & { width: number; height: number; fileBytes: number };
}

export interface QuerySection {
  meta: RunMeta;
  config: ProductConfig;
  sizes: QueryResult[];
}

export interface MemorySection {
  meta: RunMeta;
  idle: IdleResult[];
  recall?: RecallResult;
}

export interface HygieneSection {
  meta: RunMeta;
  duplicates: DuplicatesResult;
  group: Spread;
  unused: UnusedResult & { repoFiles: number; textBytes: number };
  scan: Spread;
  read: Spread;
}

export interface Results {
  model?: ModelSection;
  indexing?: IndexingSection;
  dedup?: DedupSection;
  bigimages?: BigImagesSection;
  reindex?: ReindexSection;
  query?: QuerySection;
  memory?: MemorySection;
  hygiene?: HygieneSection;
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
  const tq = path.join(dir, 'onnx', 'text_model_int8.onnx');
  const textInt8 = existsSync(tq) ? { ...(await countMacs(tq)), fileBytes: (await fs.stat(tq)).size } : undefined;
  log(`  vision ${(vision.total / 1e9).toFixed(3)} GMACs/image, text ${(text.total / 1e9).toFixed(3)} GMACs/text`);
  const threadsExtension = previousExtensionConfig().engine.threads;
  const cores = os.cpus().length;
  // The engine's own towers (its session options) on all cores and with the extension's thread count.
  const sweep = await runTask<ModelResult>('model', {
    modelDir: dir,
    batchSizes: o.quick ? [1, 4, 16] : [1, 2, 4, 8, 16, 32],
    seconds: o.quick ? 1.5 : 2.5,
    rounds: o.quick ? 1 : 2,
    product: { threads: [...new Set([cores, threadsExtension])] },
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
  return { meta: meta(started, argv), vision, text, textInt8, sweep, variants: variantResult, threadsExtension };
}

/** (decode CPU + model CPU per image) / (our worker + host CPU per image): 1 = no work wasted. */
export function cpuEfficiency(r: IndexingRound): number {
  const model = r.model.points.find((p) => p.batch === r.Mbatch && p.config === r.Mconfig)!.cpuPerImage;
  const ours = (r.index.workerCpuSeconds + r.index.hostCpuSeconds) / r.index.indexed;
  return (r.decode.best.cpuPerImage + model) / ours;
}

function bestPoint(r: ModelResult): { rate: number; batch: number; config: string } {
  let best = { rate: 0, batch: 0, config: '' };
  for (const p of r.points) if (p.best > best.rate) best = { rate: p.best, batch: p.batch, config: p.config };
  return best;
}

async function indexingSection(o: Options, dir: string, argv: string[]): Promise<IndexingSection> {
  const started = performance.now();
  const sample = await makeSample(o.sample, o.seed);
  const config = extensionConfig(o);
  const previous = o.compare && !config.overridden ? previousExtensionConfig() : undefined;
  log(`\n== indexing: ${sample.files.length} images (${sample.clipart} clip-art PNGs, seed ${o.seed}, + ${sample.photos} WebP photos), ${o.repeats} round(s)`);
  const rounds: IndexingRound[] = [];
  const imageSize = 256;
  // M is the best the model alone achieves: on all cores, and on one (on a shared machine two
  // threads that wait for each other often lose to one), so the bound is never flattered.
  const modelThreads = [0, 1];
  for (let r = 0; r < o.repeats; r++) {
    log(`  round ${r + 1}/${o.repeats}`);
    // Baselines before and after the contenders (their mean cancels a steady change of the
    // machine's load during the round); the two contenders swap order every round.
    const baselines = async (concurrency: number[]) => ({
      decode: await runTask<DecodeResult>('decode', { modelDir: dir, imageSize, files: sample.files, concurrency, thumbnails: false }),
      model: await runTask<ModelResult>('model', { modelDir: dir, batchSizes: [8, 16, 32], seconds: o.quick ? 1.5 : 2, rounds: 1, product: { threads: modelThreads } }),
    });
    const pre = await baselines([2, 4]);
    const best = bestPoint(pre.model);
    const decodeThumbs = await runTask<DecodeResult>('decode', { modelDir: dir, imageSize, files: sample.files, concurrency: [pre.decode.best.concurrency], thumbnails: true });
    let index: IndexResult | undefined;
    let previousIndex: IndexResult | undefined;
    let peer: PeerResult | undefined;
    const indexWith = async (c: ProductConfig, label: string): Promise<IndexResult> => {
      const result = await runTask<IndexResult>('index', {
        modelDir: dir,
        precision: c.precision,
        root: sample.workspace,
        indexDir: path.join(BENCH_CACHE, 'tmp', 'index-sample'),
        fresh: true,
        engine: c.engine,
        indexerBatchSize: c.indexerBatchSize,
        thumbnails: true,
        label,
      });
      // Report failures by the original file (the workspace holds copies), to compare with the peer's.
      result.failed = result.failed.map((f) => ({ ...f, path: sample.origin.get(f.path) ?? path.join(sample.workspace, f.path) }));
      log(`    ${label}: ${result.rate.toFixed(2)} images/s, ${result.failed.length} failed, event-loop delay p99 ${result.eventLoopDelayMs.p99.toFixed(1)} ms`);
      return result;
    };
    const steps = [
      async () => void (index = await indexWith(config, 'index')),
      ...(previous ? [async () => void (previousIndex = await indexWith(previous, 'index, settings before tuning'))] : []),
      async () => {
        if (!o.peer) return;
        peer = await runTask<PeerResult>('peer', { modelDir: dir, files: sample.files });
        log(`    peer: ${peer.rate.toFixed(2)} images/s, ${peer.failures.length} failed`);
      },
    ];
    // Rotate the order so a load trend on the machine does not always favour the same contender.
    for (let k = 0; k < steps.length; k++) await steps[(k + r) % steps.length]!();
    const post = await baselines([pre.decode.best.concurrency]);
    const D = (pre.decode.best.rate + post.decode.best.rate) / 2;
    const Mpost = post.model.points.find((p) => p.batch === best.batch && p.config === best.config)!.best;
    const M = (best.rate + Mpost) / 2;
    const bound = 1 / (1 / D + 1 / M);
    rounds.push({
      decode: pre.decode,
      decodeAfter: post.decode,
      decodeThumbs,
      model: pre.model,
      modelAfter: post.model,
      index: index!,
      previous: previousIndex,
      peer,
      D,
      M,
      Mbatch: best.batch,
      Mconfig: best.config,
      bound,
    });
    log(
      `    D ${D.toFixed(1)}/s, M ${M.toFixed(1)}/s (${best.config}, batch ${best.batch}) -> bound ${bound.toFixed(1)}/s; index at ${((index!.rate / bound) * 100).toFixed(0)} % of it` +
        (peer ? `, ${(index!.rate / peer.rate).toFixed(2)}x the peer` : '') +
        (previousIndex ? `; before tuning ${((previousIndex.rate / bound) * 100).toFixed(0)} %${peer ? `, ${(previousIndex.rate / peer.rate).toFixed(2)}x` : ''}` : ''),
    );
  }
  return {
    meta: meta(started, argv),
    sample: { clipart: sample.clipart, photos: sample.photos, seed: sample.seed, files: sample.files.length },
    config,
    rounds,
    ofBound: spread(rounds.map((r) => r.index.rate / r.bound)),
    cpuOfBound: spread(rounds.map(cpuEfficiency)),
    vsPeer: o.peer ? spread(rounds.map((r) => r.index.rate / r.peer!.rate)) : undefined,
    rate: spread(rounds.map((r) => r.index.rate)),
    peerRate: o.peer ? spread(rounds.map((r) => r.peer!.rate)) : undefined,
    boundRate: spread(rounds.map((r) => r.bound)),
    previousConfig: previous,
    previousOfBound: previous ? spread(rounds.map((r) => r.previous!.rate / r.bound)) : undefined,
    previousVsPeer: previous && o.peer ? spread(rounds.map((r) => r.previous!.rate / r.peer!.rate)) : undefined,
    previousRate: previous ? spread(rounds.map((r) => r.previous!.rate)) : undefined,
    D: spread(rounds.map((r) => r.D)),
    M: spread(rounds.map((r) => r.M)),
  };
}

/**
 * The index of the 8,000+ openclipart PNGs, built once with a cheap model (re-index and
 * duplicate-grouping costs do not depend on the model) and cached, with thumbnails.
 */
async function cached8kIndex(): Promise<{ indexDir: string; build: ReindexSection['build'] }> {
  const base = path.join(BENCH_CACHE, 'reindex-8k');
  const indexDir = path.join(base, 'index');
  const metaFile = path.join(base, 'build.json');
  // The first full index also gives the memory figures for an 8k run.
  if (existsSync(metaFile) && existsSync(path.join(indexDir, 'index.json'))) {
    return { indexDir, build: JSON.parse(await fs.readFile(metaFile, 'utf8')) as ReindexSection['build'] };
  }
  log(`\n== building the cached index of ${CLIPART_ROOT} once (cheap model; takes a few minutes)`);
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
  const build = { ...result, date: new Date().toISOString(), model: 'colour fixture (test/fixtures/models.ts), 512-d, 256 px' };
  await fs.mkdir(base, { recursive: true });
  await fs.writeFile(metaFile, JSON.stringify(build, null, 2));
  return { indexDir, build };
}

async function reindexSection(o: Options, argv: string[]): Promise<ReindexSection> {
  const started = performance.now();
  const { indexDir, build } = await cached8kIndex();
  log(`\n== reindex: ${build.total} images, unchanged`);
  const result = await runTask<ReindexResult>('reindex', { root: CLIPART_ROOT, indexDir, info: build.info, runs: o.quick ? 3 : 5 });
  return { meta: meta(started, argv), build, result, update: spread(result.update), open: spread(result.open) };
}

async function querySection(o: Options, dir: string, argv: string[]): Promise<QuerySection> {
  const started = performance.now();
  const config = extensionConfig(o);
  // Every precision at 100k (the index's default, float16, and the others), float32 and float16 elsewhere.
  const plan: Array<{ rows: number; dtype: VectorDType }> = [
    { rows: 10_000, dtype: 'float32' },
    { rows: 100_000, dtype: 'float32' },
    { rows: 100_000, dtype: 'float16' },
    { rows: 100_000, dtype: 'int8' },
    ...(o.quick
      ? []
      : [
          { rows: 1_000_000, dtype: 'float32' as const },
          { rows: 1_000_000, dtype: 'float16' as const },
        ]),
  ];
  log(`\n== query: ${plan.map((p) => `${p.rows.toLocaleString('en')} ${p.dtype}`).join(', ')} vectors`);
  const out: QueryResult[] = [];
  for (const { rows, dtype } of plan) {
    const runs = rows >= 1_000_000 ? 7 : rows >= 100_000 ? (o.quick ? 9 : 21) : o.quick ? 15 : 31;
    out.push(await runTask<QueryResult>('query', { modelDir: dir, precision: config.precision, rows, runs, dtype, text: true, engine: config.engine }));
  }
  return { meta: meta(started, argv), config, sizes: out };
}

async function hygieneSection(o: Options, argv: string[]): Promise<HygieneSection> {
  const started = performance.now();
  const { indexDir, build } = await cached8kIndex();
  log(`\n== hygiene: near-duplicate groups over ${build.total.toLocaleString('en')} indexed images`);
  const runs = o.quick ? 1 : o.repeats;
  const duplicates = await runTask<DuplicatesResult>('duplicates', { root: CLIPART_ROOT, indexDir, runs });
  const repo = await generateRepo(path.join(BENCH_CACHE, 'unused-10k'));
  log(`== hygiene: unused-asset scan of a generated ${repo.files.toLocaleString('en')}-file repository`);
  const unused = await runTask<UnusedResult>('unused', { root: repo.root, runs, expectedUnused: repo.unused });
  if (!unused.correct) throw new Error('the unused-asset scan found another set than the generator made');
  return {
    meta: meta(started, argv),
    duplicates,
    group: spread(duplicates.group),
    unused: { ...unused, repoFiles: repo.files, textBytes: repo.textBytes },
    scan: spread(unused.scan),
    read: spread(unused.read),
  };
}

async function memorySection(o: Options, dir: string, argv: string[]): Promise<MemorySection> {
  const started = performance.now();
  log('\n== memory: idle with a 100k-image index loaded');
  const idle: IdleResult[] = [];
  for (const dtype of ['float32', 'float16', 'int8'] as const) {
    const config = extensionConfig(o);
    const args = { modelDir: dir, precision: config.precision, rows: 100_000, dtype, engine: config.engine };
    await runTask<IdleResult>('idle', { ...args, prepareOnly: true });
    const r = await runTask<IdleResult>('idle', args, { nodeFlags: ['--expose-gc'] });
    log(`  ${dtype}: host ${(r.hostRss / 2 ** 20).toFixed(0)} MiB (baseline ${(r.hostBaseline / 2 ** 20).toFixed(0)} MiB), worker ${(r.workerRss / 2 ** 20).toFixed(0)} MiB`);
    idle.push(r);
  }
  log('  recall@10 of float16 and int8 against float32 (CLIP-like synthetic embeddings)');
  const recall = await runTask<RecallResult>('recall', {
    sets: o.quick
      ? [{ count: 20_000, queries: 100, seed: 5 }]
      : [
          { count: 20_000, queries: 200, seed: 5 },
          { count: 100_000, queries: 200, seed: 6 },
        ],
  });
  return { meta: meta(started, argv), idle, recall };
}

/**
 * A fresh index of N distinct images vs the same images 10 times over (ten folders of copies):
 * each content is embedded once, so the second should cost little more than hashing the copies.
 */
async function dedupSection(o: Options, dir: string, argv: string[]): Promise<DedupSection> {
  const started = performance.now();
  const config = extensionConfig(o);
  const copies = 10;
  // Distinct contents only (openclipart has identical files under different names).
  const seen = new Set<string>();
  const files: string[] = [];
  for (const f of (await makeSample(o.quick ? 200 : 400, o.seed + 100)).files.filter((f) => f.endsWith('.png'))) {
    const sha = await sha256File(f);
    if (seen.has(sha)) continue;
    seen.add(sha);
    files.push(f);
  }
  const n = Math.min(files.length, o.quick ? 100 : 200);
  const chosen = files.slice(0, n);
  const base = path.join(BENCH_CACHE, 'workspaces', `dedup-${o.seed}-${n}`);
  const distinctRoot = path.join(base, 'distinct');
  const duplicatedRoot = path.join(base, `copies-x${copies}`);
  if (!existsSync(path.join(base, '.complete'))) {
    await fs.rm(base, { recursive: true, force: true });
    for (const [root, times] of [
      [distinctRoot, 1],
      [duplicatedRoot, copies],
    ] as const) {
      for (let k = 0; k < times; k++) {
        const folder = path.join(root, `package-${k}`);
        await fs.mkdir(folder, { recursive: true });
        // Real copies (the scanner would follow symlinks just the same; copies are what vendored assets are).
        for (const f of chosen) await fs.copyFile(f, path.join(folder, path.basename(f)));
      }
    }
    await fs.writeFile(path.join(base, '.complete'), '');
  }
  log(`\n== dedup: fresh index of ${n} distinct images vs ${n * copies} files (each content ${copies} times), ${o.repeats} round(s)`);
  const rounds: DedupRound[] = [];
  const indexOnce = (root: string, label: string) =>
    runTask<IndexResult>('index', {
      modelDir: dir,
      precision: config.precision,
      root,
      indexDir: path.join(BENCH_CACHE, 'tmp', 'index-dedup'),
      fresh: true,
      engine: config.engine,
      indexerBatchSize: config.indexerBatchSize,
      thumbnails: true,
      label,
    });
  for (let r = 0; r < o.repeats; r++) {
    // Alternate the order so a load trend does not always favour the same one.
    const first = r % 2 === 0;
    const a = await indexOnce(first ? distinctRoot : duplicatedRoot, first ? 'distinct' : 'duplicated');
    const b = await indexOnce(first ? duplicatedRoot : distinctRoot, first ? 'duplicated' : 'distinct');
    const round = first ? { distinct: a, duplicated: b } : { distinct: b, duplicated: a };
    log(
      `  round ${r + 1}: distinct ${round.distinct.seconds.toFixed(1)} s (${round.distinct.indexed} embedded), ` +
        `duplicated ${round.duplicated.seconds.toFixed(1)} s (${round.duplicated.indexed} embedded, ${round.duplicated.duplicates} copies) -> ${(round.duplicated.seconds / round.distinct.seconds).toFixed(2)}x`,
    );
    rounds.push(round);
  }
  const hash = await runTask<HashResult>('hash', { files: chosen, runs: 5 });
  return { meta: meta(started, argv), config, files: n, copies, rounds, ratio: spread(rounds.map((x) => x.duplicated.seconds / x.distinct.seconds)), hash };
}

/** Peak worker memory while indexing the whole openclipart set, and ten 500 MP PNGs. */
async function bigImagesSection(o: Options, dir: string, argv: string[]): Promise<BigImagesSection> {
  const started = performance.now();
  const config = extensionConfig(o);
  const indexWith = (modelDir: string, root: string, label: string) =>
    runTask<IndexResult>('index', {
      modelDir,
      precision: modelDir === dir ? config.precision : undefined,
      root,
      indexDir: path.join(BENCH_CACHE, 'tmp', 'index-big'),
      fresh: true,
      engine: config.engine,
      indexerBatchSize: config.indexerBatchSize,
      thumbnails: true,
      label,
    });
  const width = 22_400;
  const height = 22_400;
  const hugeRoot = path.join(BENCH_CACHE, 'workspaces', 'huge-500mp');
  log(`\n== bigimages: ten ${width}x${height} PNGs (generated once into ${path.relative(PROJECT_ROOT, hugeRoot)})`);
  let fileBytes = 0;
  for (let i = 0; i < 10; i++) {
    // Distinct content (the square moves), so none is a copy of another.
    const file = await writeLargePng(path.join(hugeRoot, `huge-${i}.png`), { width, height, at: [0.1 + 0.08 * i, 0.5] });
    fileBytes += (await fs.stat(file)).size;
  }
  const huge = { ...(await indexWith(dir, hugeRoot, 'ten 500 MP PNGs')), width, height, fileBytes };
  log(`  ten 500 MP PNGs: worker peak ${mib(huge.workerPeakRss)}, ${huge.seconds.toFixed(0)} s, ${huge.failed.length} failed`);
  let clipart: IndexResult | undefined;
  let clipartCheap: IndexResult | undefined;
  if (!o.quick) {
    log(`== bigimages: the whole ${CLIPART_ROOT} set, fresh (stand-in model, then the cheap colour model)`);
    clipart = await indexWith(dir, CLIPART_ROOT, 'openclipart, stand-in');
    log(
      `  stand-in: worker peak ${mib(clipart.workerPeakRss)}, ${clipart.total} files, ${clipart.distinct} distinct, ${clipart.failed.length} failed, ${clipart.seconds.toFixed(0)} s`,
    );
    clipartCheap = await indexWith(await colorModelDir({ dim: 512, imageSize: 256 }), CLIPART_ROOT, 'openclipart, cheap model');
    log(`  cheap model: worker peak ${mib(clipartCheap.workerPeakRss)}, ${clipartCheap.failed.length} failed, ${clipartCheap.seconds.toFixed(0)} s`);
  }
  return { meta: meta(started, argv), config, clipart, clipartCheap, huge };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const o = parseArgs(argv);
  machineAtStart = describeMachine();
  const m = machineAtStart;
  log(`MobileCLIP Assets benchmarks — ${new Date().toISOString()}`);
  log(
    `${m.cpu}, ${m.cores} cores, ${m.memory}; Node ${m.node}, onnxruntime-node ${m.onnxruntime}, sharp ${m.sharp} (libvips ${m.libvips}); load average ${m.loadAverage.join(' ')}`,
  );
  log(`sections: ${o.only.join(', ')}${o.quick ? ' (quick)' : ''}`);
  if (!o.reportOnly && (o.only.includes('indexing') || o.only.includes('reindex')) && !existsSync(CLIPART_ROOT)) {
    console.error(`bench: ${CLIPART_ROOT} is missing: install the Debian package openclipart-png (apt-get install openclipart-png), or run other sections with --only`);
    process.exit(1);
  }
  const t0 = performance.now();
  const dir = await standinModelDir();
  const results: Results = existsSync(RESULTS_FILE) ? (JSON.parse(await fs.readFile(RESULTS_FILE, 'utf8')) as Results) : {};
  const save = async () => {
    await fs.writeFile(RESULTS_FILE, JSON.stringify(results, null, 1) + '\n');
    await fs.mkdir(path.join(PROJECT_ROOT, 'bench', 'out'), { recursive: true });
  };
  for (const section of SECTIONS) {
    if (o.reportOnly || !o.only.includes(section)) continue;
    switch (section) {
      case 'model':
        results.model = await modelSection(o, dir, argv);
        break;
      case 'indexing':
        results.indexing = await indexingSection(o, dir, argv);
        break;
      case 'dedup':
        results.dedup = await dedupSection(o, dir, argv);
        break;
      case 'bigimages':
        results.bigimages = await bigImagesSection(o, dir, argv);
        break;
      case 'reindex':
        results.reindex = await reindexSection(o, argv);
        break;
      case 'query':
        results.query = await querySection(o, dir, argv);
        break;
      case 'memory':
        results.memory = await memorySection(o, dir, argv);
        break;
      case 'hygiene':
        results.hygiene = await hygieneSection(o, argv);
        break;
    }
    await save();
  }
  await fs.rm(path.join(BENCH_CACHE, 'tmp'), { recursive: true, force: true });
  const report = await writeReport(results);
  console.log(report);
  log(`\nbench finished in ${((performance.now() - t0) / 60000).toFixed(1)} min; wrote bench/RESULTS.md, bench/results.json, bench/charts/`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(1);
});
