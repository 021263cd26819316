// Opening a reinforced dataset for reading: ours (manifest.json + rdata_config.json + shards),
// or one written by Apple's RayGen / downloaded from DataCompDR (*.tar shards, a config.json or a
// config the user names, images in the shards or in a folder the user names). Everything read
// here is untrusted: files are opened as regular files with size caps, paths from the dataset
// stay inside the dataset folder, and images are read only from the shards or from a folder the
// user chose (never from a path a dataset file names outside the dataset).
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { resolveInside } from '../util/atomic';
import { readRegularTextFile, UnreadableFileError } from '../util/files';
import {
  CONFIG_FILE,
  DATASET_FORMAT,
  DATASET_FORMAT_VERSION,
  IMAGE_MEMBERS,
  MANIFEST_FILE,
  embeddingMatrix,
  parseMembers,
  sampleUid,
  teacherSlices,
  type DatasetManifest,
  type ParsedMembers,
  type SampleInfo,
} from './format';
import type { Matrix } from './npy';
import { readTarSamples, type TarSample } from './tar';
import { decompressParams, parseAugmentationConfig, type AugmentParams, type AugmentationConfig } from './transforms';
import type { ViewSource } from '../worker/protocol';
import { l2Norm } from '../vectors';

const MAX_JSON_BYTES = 64 * 1024 * 1024;

export interface DatasetOptions {
  /** Image folder the user chose (CLI --images, or picked in the editor): where images not in the shards are joined from. */
  images?: string;
  /** Reinforcement config file the user chose, for datasets without one in their folder. */
  config?: string;
  /** Teacher block sizes (training's --distill-teacher-dimension) for datasets that do not record them. */
  teacherDims?: number[];
}

export interface DatasetProblem {
  /** Shard file, "shard key", the config or manifest file. */
  where: string;
  problem: string;
}

export interface OpenedDataset {
  root: string;
  /** 'mobileclip-assets': written by us (manifest.json); 'apple': RayGen / DataCompDR shards. */
  kind: 'mobileclip-assets' | 'apple';
  manifest?: DatasetManifest;
  config?: AugmentationConfig;
  configFile?: string;
  shards: Array<{ file: string; abs: string }>;
  /** Teacher block sizes: from our manifest, the user, or measured from the embeddings (see inferTeacherDims). */
  teacherDims?: number[];
  /** How each teacher's view reaches its input size: ours 'reapply', RayGen 'raygen' (see EmbedViewsRequest). */
  sizing: 'reapply' | 'raygen';
  /** Where images missing from the shards are joined from (only a folder the user chose, or inside the dataset). */
  imagesFolder?: string;
  /** Sample count promised by the dataset's own listing, when it has one. */
  expectedSamples?: number;
  /** Dataset-level problems (config missing or unusable, manifest fields). */
  problems: DatasetProblem[];
}

async function readJsonFile(file: string): Promise<unknown> {
  const text = await readRegularTextFile(file, { maxBytes: MAX_JSON_BYTES });
  try {
    return JSON.parse(text);
  } catch {
    // RayGen writes config.json with jsonlines: one object per line.
    const first = text.split('\n').find((l) => l.trim() !== '');
    if (first === undefined) throw new Error('empty file');
    try {
      return JSON.parse(first);
    } catch (err) {
      throw new Error(`not valid JSON (${(err as Error).message})`);
    }
  }
}

/** The image_augmentation block of Apple's training config, RayGen's --aug-config (config.json), or ours. */
export function augmentationBlockOf(json: unknown): unknown {
  const r = (json as { reinforce?: { image_augmentation?: unknown } } | null)?.reinforce;
  return r && typeof r === 'object' ? r.image_augmentation : json;
}

async function exists(file: string): Promise<boolean> {
  return fs.lstat(file).then(
    () => true,
    () => false,
  );
}

// Long: one ordered decision (ours or Apple's layout, which config, which source root may be trusted), read top to bottom.
export async function openDataset(dir: string, opts: DatasetOptions = {}): Promise<OpenedDataset> {
  const root = path.resolve(dir);
  const st = await fs.stat(root).catch(() => undefined);
  if (!st?.isDirectory()) throw new Error(`${root} is not a folder`);
  const problems: DatasetProblem[] = [];
  const images = opts.images ? path.resolve(opts.images) : undefined;

  let manifest: DatasetManifest | undefined;
  if (await exists(path.join(root, MANIFEST_FILE))) {
    let json: unknown;
    try {
      json = await readJsonFile(path.join(root, MANIFEST_FILE));
    } catch (err) {
      throw new Error(`${path.join(root, MANIFEST_FILE)}: ${(err as Error).message}`);
    }
    if ((json as { format?: unknown })?.format === DATASET_FORMAT) {
      const version = (json as { version?: unknown }).version;
      if (version !== DATASET_FORMAT_VERSION) {
        throw new Error(
          `${path.join(root, MANIFEST_FILE)} is format version ${JSON.stringify(version)}; this version reads ${DATASET_FORMAT_VERSION} (datasets built before Apple's layout was adopted have no images in their shards: rebuild them with reinforce)`,
        );
      }
      manifest = json as DatasetManifest;
    }
  }

  if (manifest) {
    const mp = checkManifest(manifest);
    for (const p of mp) problems.push({ where: MANIFEST_FILE, problem: p });
    const shards: OpenedDataset['shards'] = [];
    for (const s of Array.isArray(manifest.shards) ? manifest.shards : []) {
      try {
        shards.push({ file: s.file, abs: resolveInside(root, s.file) });
      } catch (err) {
        problems.push({ where: String(s?.file), problem: (err as Error).message });
      }
    }
    const ds: OpenedDataset = {
      root,
      kind: 'mobileclip-assets',
      manifest,
      shards,
      problems,
      sizing: 'reapply',
      teacherDims: mp.length ? undefined : manifest.teachers.map((t) => t.dim),
      // The manifest's source root is only used when it lies inside the dataset folder: a dataset
      // must never make us read files elsewhere (a crafted "/" would expose the whole disk).
      imagesFolder: images ?? (await folderInsideDataset(root, manifest.source?.root)),
      expectedSamples: manifest.counts?.samples,
    };
    await loadConfig(ds, opts.config ?? (typeof manifest.config === 'string' ? safeInside(root, manifest.config, problems) : undefined));
    if (opts.teacherDims) ds.teacherDims = opts.teacherDims;
    return ds;
  }

  // Apple / RayGen: *.tar in the folder, else in shards/.
  let shardDir = root;
  let names = (await fs.readdir(root)).filter((n) => n.endsWith('.tar')).sort();
  if (
    !names.length &&
    (await fs.stat(path.join(root, 'shards')).then(
      (s) => s.isDirectory(),
      () => false,
    ))
  ) {
    shardDir = path.join(root, 'shards');
    names = (await fs.readdir(shardDir)).filter((n) => n.endsWith('.tar')).sort();
  }
  if (!names.length) throw new Error(`${root} is neither a reinforced dataset of ours (${MANIFEST_FILE}) nor a folder of webdataset .tar shards`);
  const ds: OpenedDataset = {
    root,
    kind: 'apple',
    problems,
    sizing: 'raygen',
    imagesFolder: images,
    teacherDims: opts.teacherDims,
    shards: names.map((n) => ({ file: path.relative(root, path.join(shardDir, n)).split(path.sep).join('/'), abs: path.join(shardDir, n) })),
  };
  const listed = await countListedSamples(root);
  if (listed !== undefined) ds.expectedSamples = listed;
  let configFile = opts.config;
  if (!configFile) {
    for (const name of [CONFIG_FILE, 'config.json'])
      if (await exists(path.join(root, name))) {
        configFile = path.join(root, name);
        break;
      }
  }
  if (!configFile)
    problems.push({
      where: 'config',
      problem: `no reinforcement config: put RayGen's config.json (its --aug-config) or Apple's training config in the folder, or name one (--config FILE); without it param_aug cannot be decompressed and nothing can be replayed`,
    });
  await loadConfig(ds, configFile);
  return ds;
}

/** `p` (absolute, or relative to the dataset) when it is a folder really inside `root` (symlinks resolved). */
async function folderInsideDataset(root: string, p: unknown): Promise<string | undefined> {
  if (typeof p !== 'string' || !p) return undefined;
  const [realRoot, real] = await Promise.all([fs.realpath(root).catch(() => undefined), fs.realpath(path.resolve(root, p)).catch(() => undefined)]);
  if (!realRoot || !real) return undefined;
  const rel = path.relative(realRoot, real);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) return undefined;
  return (await fs.stat(real).then(
    (st) => st.isDirectory(),
    () => false,
  ))
    ? real
    : undefined;
}

function safeInside(root: string, rel: string, problems: DatasetProblem[]): string | undefined {
  try {
    return resolveInside(root, rel);
  } catch (err) {
    problems.push({ where: MANIFEST_FILE, problem: `config: ${(err as Error).message}` });
    return undefined;
  }
}

async function loadConfig(ds: OpenedDataset, file: string | undefined): Promise<void> {
  if (!file) return;
  const where = path.basename(file);
  let json: unknown;
  try {
    json = await readJsonFile(file);
  } catch (err) {
    ds.problems.push({ where, problem: err instanceof UnreadableFileError ? `cannot read: ${err.message}` : (err as Error).message });
    return;
  }
  const parsed = parseAugmentationConfig(augmentationBlockOf(json));
  for (const p of parsed.problems) ds.problems.push({ where, problem: p });
  ds.config = parsed.config;
  ds.configFile = file;
}

/** RayGen's manifest.jsonl: one {"shard", "num_uids"} line per shard. */
async function countListedSamples(root: string): Promise<number | undefined> {
  const file = path.join(root, 'manifest.jsonl');
  if (!(await exists(file))) return undefined;
  try {
    const text = await readRegularTextFile(file, { maxBytes: MAX_JSON_BYTES });
    let n = 0;
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      const v = Number((JSON.parse(line) as { num_uids?: unknown }).num_uids);
      if (!Number.isInteger(v) || v < 0) return undefined;
      n += v;
    }
    return n;
  } catch {
    return undefined;
  }
}

function checkManifest(m: DatasetManifest): string[] {
  const p: string[] = [];
  if (!Array.isArray(m.teachers) || !m.teachers.length) p.push('no teachers');
  else {
    let offset = 0;
    for (const t of m.teachers) {
      if (t.offset !== offset || !Number.isInteger(t.dim) || t.dim <= 0) p.push(`teacher ${t.id}: offset/dim inconsistent`);
      offset += t.dim;
    }
    if (offset !== m.embeddingDim) p.push(`teacher dims sum to ${offset}, embeddingDim is ${m.embeddingDim}`);
  }
  if (!Number.isInteger(m.augmentation?.count) || m.augmentation.count < 1) p.push('augmentation.count missing');
  if (!Number.isSafeInteger(m.seed)) p.push('seed missing');
  if (!Array.isArray(m.shards)) p.push('shards list missing');
  if (typeof m.config !== 'string') p.push('config file not named');
  return p;
}

// ------------------------------------------------------------------ samples

/** One sample, normalized across layouts (ours, RayGen, DataCompDR's backward-compatible one). */
export interface ReinforcedSample {
  key: string;
  url?: string;
  /** The `.txt` caption ('' when there is none). */
  caption: string;
  /** False when text row 0 is all zeros (no ground-truth caption was embedded). */
  captionEmbedded: boolean;
  /** Synthetic captions of every syn.json key matching ^syn_text.*$, in key order. */
  syn: string[];
  augmentations: AugmentParams[];
  /** [K, D], row k = augmentations[k]. */
  imageEmb: Matrix;
  /** [1 + syn.length, D]: row 0 the ground-truth caption, row 1 + j syn[j]. */
  textEmb: Matrix;
  image: ViewSource;
  /** Our `json` member, when the sample is ours. */
  info?: SampleInfo;
  /** dtype of the stored embeddings ('<f4', 'bfloat16', ...). */
  dtype: string;
}

/** What one sample needs to be replayed and trained on, or the per-field problems that stop it. */
export interface SampleCheck {
  sample?: ReinforcedSample;
  /** Problems that make the sample unusable for replay/distillation. */
  problems: string[];
  /** Why Apple's loader (open_clip + ml-mobileclip's patch) would drop or fail on this sample. */
  apple: string[];
}

export async function* datasetSamples(ds: OpenedDataset, onShardError?: (shard: string, error: string) => void): AsyncGenerator<{ shard: string; raw: TarSample }> {
  for (const s of ds.shards) {
    try {
      for await (const raw of readTarSamples(s.abs)) yield { shard: s.file, raw };
    } catch (err) {
      onShardError?.(s.file, `unreadable tar: ${(err as Error).message}`);
    }
  }
}

/**
 * Checks one sample field by field and assembles it. `dim` is the embedding width when known
 * (manifest, user, or the first sample), `augmentations` the count our manifest promises.
 */
// Long: a flat list of per-member checks in the order Apple's loader reads a sample; splitting it would scatter that order.
export async function checkSample(ds: OpenedDataset, raw: TarSample, dim: number | undefined, augmentations?: number): Promise<SampleCheck & { parsed: ParsedMembers }> {
  const p = parseMembers(raw.key, raw.members);
  const problems = [...p.problems];
  const apple: string[] = [];
  for (const s of raw.skipped) problems.push(`unexpected tar entry ${s}`);
  if (p.caption === undefined) apple.push('no .txt member: filter_no_caption_or_no_image drops the sample');
  if (!p.image) apple.push('no image member (png/jpg/jpeg/webp): filter_no_caption_or_no_image drops the sample');
  if (!p.syn) apple.push('no syn.json: preprocess_dr raises');
  else if (!p.syn.length) apple.push('syn.json has no key matching ^syn_text.*$: np.random.randint(0, 0) raises');
  else for (const s of p.syn) if (!s.captions.length) apple.push(`syn.json ${s.key} is empty: np.random.randint(0, 0) raises when it is picked`);
  if (!p.paramAug) {
    if (!raw.members.has('paug.json')) problems.push('paug.json: missing');
  }
  if (!p.embeddings && !problems.some((x) => x.startsWith('npz') || x.startsWith('pth.gz'))) problems.push('no embeddings (npz or pth.gz member)');

  // Our own samples: the json fields and the key.
  let info: SampleInfo | undefined;
  if (ds.kind === 'mobileclip-assets') {
    const i = p.info as Partial<SampleInfo> | undefined;
    const bad: string[] = [];
    if (!i) bad.push('missing');
    else {
      if (i.uid !== raw.key) bad.push(`uid ${JSON.stringify(i.uid)} != key`);
      if (typeof i.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(i.sha256)) bad.push('sha256 must be 64 hex digits');
      if (!Number.isInteger(i.width) || i.width! <= 0 || !Number.isInteger(i.height) || i.height! <= 0) bad.push('width/height must be positive integers');
      if (!['sidecar', 'manifest', 'filename', 'none'].includes(i.caption_source as string)) bad.push(`caption_source ${JSON.stringify(i.caption_source)} is unknown`);
      if (i.caption_source === 'none' && p.caption) bad.push('caption_source is none but the .txt caption is not empty');
    }
    if (bad.length) problems.push(`json: ${bad.join('; ')}`);
    else info = i as SampleInfo;
    if (p.url !== undefined && sampleUid(p.url) !== raw.key) problems.push(`url.txt (${JSON.stringify(p.url)}) does not hash to the sample key`);
    // (json above; paug.json and the embeddings are checked for every dataset)
    for (const ext of ['url.txt', 'txt', 'syn.json']) if (!raw.members.has(ext)) problems.push(`${ext}: missing`);
    if (!p.image) problems.push('image member (png or jpg): missing');
  }

  // Augmentations: decompressed with the config, one problem line per bad entry.
  const augs: AugmentParams[] = [];
  if (p.paramAug) {
    if (!ds.config) problems.push('paug.json: cannot be decompressed without a usable reinforcement config');
    else {
      const size = info ? { width: info.width, height: info.height } : undefined;
      p.paramAug.forEach((entry, k) => {
        const d = decompressParams(ds.config!, entry, size);
        if (d.params) augs.push(d.params);
        else problems.push(`paug.json param_aug[${k}]: ${d.problems.join('; ')}`);
      });
      if (augmentations !== undefined && p.paramAug.length !== augmentations) problems.push(`paug.json has ${p.paramAug.length} augmentations, the manifest says ${augmentations}`);
    }
  }

  // Embeddings: image_emb [K, D]; text rows either text_emb [1 + n_syn, D] (DataCompDR's
  // backward-compatible layout) or text_emb [1, D] + <syn key>_emb [n, D] (RayGen, ours).
  let imageEmb: Matrix | undefined;
  let textEmb: Matrix | undefined;
  const syn = (p.syn ?? []).flatMap((s) => s.captions);
  if (p.embeddings) {
    const k = p.paramAug?.length;
    const img = embeddingMatrix(p, 'image_emb', dim, k);
    if (typeof img === 'string') problems.push(img);
    else imageEmb = img;
    const width = dim ?? imageEmb?.shape[1];
    const text = embeddingMatrix(p, 'text_emb', width, undefined);
    if (typeof text === 'string') problems.push(text);
    else if (text.shape[0] === 1 + syn.length && (p.syn?.length ?? 0) <= 1 && !p.syn?.some((s) => p.embeddings!.arrays.has(`${s.key}_emb`))) {
      textEmb = text;
    } else if (text.shape[0] !== 1) {
      problems.push(`${p.embeddings.member} text_emb: ${text.shape[0]} rows; expected 1 (ground truth) or 1 + ${syn.length} (with the synthetic captions)`);
    } else {
      const rows = [text];
      for (const s of p.syn ?? []) {
        const m = embeddingMatrix(p, `${s.key}_emb`, width, s.captions.length);
        if (typeof m === 'string') problems.push(m);
        else rows.push(m);
      }
      if (rows.length === 1 + (p.syn?.length ?? 0)) textEmb = concatRows(rows);
    }
  }
  if (imageEmb && textEmb && ds.teacherDims) {
    const slices = teacherSlices(ds.teacherDims);
    const tol = p.embeddings?.member === 'pth.gz' || /f2$/.test(p.embeddings?.arrays.get('image_emb')?.dtype ?? '') ? 2e-2 : 1e-3;
    problems.push(...normProblems('image_emb', imageEmb, slices, tol, false));
    const zeroRow0 = info?.caption_source === 'none';
    problems.push(...normProblems('text rows', textEmb, slices, tol, zeroRow0));
  }

  // The image: in the shard, or joined from the folder the user chose by url.txt or uid.
  let image: ViewSource | undefined;
  if (p.image) image = { bytes: p.image.bytes };
  else if (ds.imagesFolder) {
    const found = await joinImage(ds.imagesFolder, p.url, raw.key);
    if (typeof found === 'string') image = { path: found };
    else problems.push(`image: not in the shard, and ${found.why}`);
  } else if (ds.kind !== 'mobileclip-assets') {
    // (ours always carry the image: its absence is reported above as a missing member)
    problems.push('image: not in the shard; name the image folder (--images DIR) to join images by url.txt or uid');
  }

  const result: SampleCheck & { parsed: ParsedMembers } = { problems, apple, parsed: p };
  if (!problems.length && imageEmb && textEmb && image) {
    result.sample = {
      key: raw.key,
      url: p.url,
      caption: p.caption ?? '',
      captionEmbedded: info ? info.caption_source !== 'none' : rowNorm(textEmb, 0) > 0,
      syn,
      augmentations: augs,
      imageEmb,
      textEmb,
      image,
      info,
      dtype: p.embeddings!.arrays.get('image_emb')!.dtype,
    };
  }
  return result;
}

function concatRows(ms: Matrix[]): Matrix {
  const cols = ms[0]!.shape[1];
  const rows = ms.reduce((n, m) => n + m.shape[0], 0);
  const data = new Float32Array(rows * cols);
  let at = 0;
  for (const m of ms) {
    data.set(m.data, at);
    at += m.data.length;
  }
  return { shape: [rows, cols], data };
}

function rowNorm(m: Matrix, r: number): number {
  return l2Norm(m.data.subarray(r * m.shape[1], (r + 1) * m.shape[1]));
}

function normProblems(name: string, m: Matrix, slices: Array<[number, number]>, tol: number, zeroRow0: boolean): string[] {
  const dim = m.shape[1];
  if (slices[slices.length - 1]![1] !== dim) return [`${name}: ${dim} columns, the teacher dims sum to ${slices[slices.length - 1]![1]}`];
  for (let r = 0; r < m.shape[0]; r++) {
    for (const [a, b] of slices) {
      const norm = l2Norm(m.data.subarray(r * dim + a, r * dim + b));
      const expectZero = zeroRow0 && r === 0;
      if (expectZero ? norm !== 0 : Math.abs(norm - 1) > tol) {
        return [`${name} row ${r} columns ${a}-${b - 1}: norm ${norm.toFixed(6)}, expected ${expectZero ? '0 (no caption)' : '1 (each teacher block is L2-normalized)'}`];
      }
    }
  }
  return [];
}

const JOIN_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.webp'];

/** `folder/<url.txt>` when url.txt is a relative path inside the folder, else `folder/<uid>.<ext>`. */
async function joinImage(folder: string, url: string | undefined, key: string): Promise<string | { why: string }> {
  const candidates: string[] = [];
  if (url && !/^[a-z][a-z0-9+.-]*:/i.test(url)) {
    try {
      candidates.push(resolveInside(folder, url));
    } catch {
      /* a path leaving the folder is never followed */
    }
  }
  const uid = key.slice(key.lastIndexOf('/') + 1);
  for (const ext of JOIN_EXTENSIONS) candidates.push(path.join(folder, uid + ext));
  for (const c of candidates)
    if (
      await fs.stat(c).then(
        (s) => s.isFile(),
        () => false,
      )
    )
      return c;
  return { why: `no ${url && candidates.length > JOIN_EXTENSIONS.length ? `${JSON.stringify(url)} or ` : ''}${uid}.{jpg,jpeg,png,webp} in ${folder}` };
}

/**
 * Teacher block sizes measured from L2 norms: each block of every row has norm 1, so the running
 * sum of squares along a row reaches 1, 2, ... exactly at block ends. For each level the column
 * where all rows come closest to it is the boundary; undefined when rows do not split into unit blocks.
 */
export function inferTeacherDims(m: Matrix, tol = 1e-2): number[] | undefined {
  const [rows, dim] = m.shape;
  if (!rows) return undefined;
  const best = new Map<number, { col: number; err: number }>();
  const cum = new Float64Array(rows);
  for (let j = 0; j < dim; j++) {
    let level = -1;
    let err = 0;
    for (let r = 0; r < rows; r++) {
      cum[r]! += m.data[r * dim + j]! ** 2;
      const k = Math.round(cum[r]!);
      if (level === -1) level = k;
      if (k !== level) level = 0;
      err = Math.max(err, Math.abs(cum[r]! - k));
    }
    if (level >= 1 && err <= tol && !((best.get(level)?.err ?? Infinity) <= err)) best.set(level, { col: j + 1, err });
  }
  const ends = [...best.keys()].sort((a, b) => a - b);
  if (!ends.length || ends.some((k, i) => k !== i + 1) || best.get(ends.length)!.col !== dim) return undefined;
  const cols = ends.map((k) => best.get(k)!.col);
  if (cols.some((c, i) => i > 0 && c <= cols[i - 1]!)) return undefined;
  return cols.map((end, i) => end - (i ? cols[i - 1]! : 0));
}

export interface LoadedDataset {
  dataset: OpenedDataset;
  samples: ReinforcedSample[];
  /** Samples that cannot be used, with the reasons (use verify for the full report). */
  problems: DatasetProblem[];
}

/** Every usable sample of a dataset, in shard order (for distillation: small datasets, held in memory). */
export async function loadDataset(dir: string, opts: DatasetOptions = {}): Promise<LoadedDataset> {
  const ds = await openDataset(dir, opts);
  const problems: DatasetProblem[] = [...ds.problems];
  if (!ds.config) throw new Error(`${dir}: ${ds.problems.map((p) => `${p.where}: ${p.problem}`).join('; ') || 'no usable reinforcement config'}`);
  const samples: ReinforcedSample[] = [];
  let dim = ds.teacherDims?.reduce((a, b) => a + b, 0);
  for await (const { shard, raw } of datasetSamples(ds, (file, error) => problems.push({ where: file, problem: error }))) {
    const c = await checkSample(ds, raw, dim, ds.manifest?.augmentation.count);
    if (!c.sample) {
      problems.push({ where: `${shard} ${raw.key}`, problem: c.problems.join('; ') });
      continue;
    }
    if (dim === undefined) {
      const dims = inferTeacherDims(c.sample.imageEmb, /f4$/.test(c.sample.dtype) ? 1e-3 : 2e-2);
      if (!dims) throw new Error(`${dir}: cannot tell the teacher blocks apart in the embeddings; give the teacher dims (--teacher-dims d1,d2)`);
      ds.teacherDims = dims;
      dim = c.sample.imageEmb.shape[1];
    }
    samples.push(c.sample);
  }
  return { dataset: ds, samples, problems };
}

/** Whether the first sample of the first shard carries an image member (undefined when unreadable). */
export async function shardsCarryImages(ds: OpenedDataset): Promise<boolean | undefined> {
  for await (const { raw } of datasetSamples(ds)) return IMAGE_MEMBERS.some((e) => raw.members.has(e));
  return undefined;
}
