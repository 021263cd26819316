// The on-disk layout of a reinforced dataset (DataCompDR-style webdataset shards); see
// FORMAT.md next to this file for the full description.
import { createHash } from 'node:crypto';
import type { AugmentSettings, StoredAugmentations } from './augment';
import type { CaptionOrigin } from './inputs';
import { decodeNpz, encodeNpz, type Matrix } from './npy';
import type { TarMember } from './tar';

export const MANIFEST_FILE = 'manifest.json';
export const SHARD_DIR = 'shards';
export const DATASET_FORMAT = 'mobileclip-assets/datacompdr';
export const DATASET_FORMAT_VERSION = 1;
/** The extensions of every sample's members, in the order they are written. */
export const SAMPLE_MEMBERS = ['url.txt', 'json', 'syn.json', 'paug.json', 'npz'] as const;

export function shardName(index: number): string {
  return `${String(index).padStart(5, '0')}.tar`;
}

/** Sample uid: the first 32 hex digits of sha256(relative POSIX path). Also the webdataset key. */
export function sampleUid(relPath: string): string {
  return createHash('sha256').update(relPath, 'utf8').digest('hex').slice(0, 32);
}

/** Contents of a sample's `json` member. */
export interface SampleInfo {
  uid: string;
  /** sha256 of the image file's bytes. */
  sha256: string;
  /** Oriented source size in pixels. */
  width: number;
  height: number;
  /** The ground-truth caption text_emb row 0 embeds ('' when caption_source is 'none'). */
  caption: string;
  /** Where the caption came from; 'none' means text_emb row 0 is all zeros. */
  caption_source: CaptionOrigin;
}

export interface ReinforcedSample {
  url: string;
  info: SampleInfo;
  /** Synthetic captions; text_emb row 1 + i embeds syn[i]. */
  syn: string[];
  paug: StoredAugmentations;
  /** [augmentations, D] teacher-ensemble image embeddings, row k = paug.params[k]. */
  imageEmb: Matrix;
  /** [1 + syn.length, D] teacher-ensemble text embeddings, row 0 = ground truth. */
  textEmb: Matrix;
}

const utf8 = (s: string): Uint8Array => Buffer.from(s, 'utf8');

/** The five webdataset members of a sample. JSON is compact with a fixed key order. */
export function sampleMembers(s: ReinforcedSample): TarMember[] {
  const key = s.info.uid;
  const info: SampleInfo = {
    uid: s.info.uid, sha256: s.info.sha256, width: s.info.width, height: s.info.height,
    caption: s.info.caption, caption_source: s.info.caption_source,
  };
  const paug: StoredAugmentations = {
    image_size: [s.paug.image_size[0], s.paug.image_size[1]],
    params: s.paug.params.map((p) => ({ crop: [p.crop[0], p.crop[1], p.crop[2], p.crop[3]], flip: p.flip })),
  };
  return [
    { name: `${key}.url.txt`, data: utf8(s.url) },
    { name: `${key}.json`, data: utf8(JSON.stringify(info)) },
    { name: `${key}.syn.json`, data: utf8(JSON.stringify({ syn_text: s.syn })) },
    { name: `${key}.paug.json`, data: utf8(JSON.stringify(paug)) },
    { name: `${key}.npz`, data: encodeNpz([['image_emb', s.imageEmb], ['text_emb', s.textEmb]]) },
  ];
}

export interface TeacherEntry {
  id: string;
  fingerprint: string;
  dim: number;
  imageSize: number;
  /** First column of this teacher's block in every embedding row. */
  offset: number;
}

export interface ShardEntry {
  /** Relative to the dataset folder, e.g. "shards/00000.tar". */
  file: string;
  sha256: string;
  bytes: number;
  samples: number;
}

export interface DatasetManifest {
  format: typeof DATASET_FORMAT;
  version: number;
  generator: string;
  /** Hash of everything that determines the output (settings, teachers, inputs, captions). */
  runKey: string;
  source: { root: string; captionManifest: string | null };
  teachers: TeacherEntry[];
  /** Sum of the teachers' dims: the width of image_emb and text_emb. */
  embeddingDim: number;
  seed: number;
  augmentation: AugmentSettings & { sampler: string; rng: string; replay: string };
  syntheticCaptions: { source: string | null };
  missingCaption: 'filename' | 'zero';
  samplesPerShard: number;
  counts: { images: number; samples: number; skipped: number; shards: number };
  skipped: Array<{ path: string; error: string }>;
  inputProblems: Array<{ path: string; error: string }>;
  shards: ShardEntry[];
}

/** The teacher blocks of an embedding row: teachers in manifest order, each L2-normalized. */
export function teacherSlices(teachers: readonly TeacherEntry[]): Array<[number, number]> {
  return teachers.map((t) => [t.offset, t.offset + t.dim]);
}

export interface ParsedSample {
  key: string;
  url?: string;
  info?: SampleInfo;
  syn?: string[];
  paug?: StoredAugmentations;
  imageEmb?: Matrix;
  textEmb?: Matrix;
}

/**
 * Parses one sample's members; every problem found is returned (a bad member never hides the
 * others). `dim` and `augmentations` are the shapes the manifest promises.
 */
export function parseSample(key: string, members: Map<string, Buffer>, dim: number, augmentations: number): { sample: ParsedSample; problems: string[] } {
  const problems: string[] = [];
  const sample: ParsedSample = { key };
  for (const ext of SAMPLE_MEMBERS) if (!members.has(ext)) problems.push(`missing member ${key}.${ext}`);
  for (const ext of members.keys()) if (!(SAMPLE_MEMBERS as readonly string[]).includes(ext)) problems.push(`unexpected member ${key}.${ext}`);

  const json = (ext: string): unknown => {
    const b = members.get(ext);
    if (!b) return undefined;
    try { return JSON.parse(b.toString('utf8')); } catch (err) {
      problems.push(`${key}.${ext} is not valid JSON (${(err as Error).message})`);
      return undefined;
    }
  };
  const url = members.get('url.txt');
  if (url) {
    sample.url = url.toString('utf8');
    if (sampleUid(sample.url) !== key) problems.push(`${key}.url.txt (${JSON.stringify(sample.url)}) does not hash to the sample key`);
  }
  const info = json('json') as Partial<SampleInfo> | undefined;
  if (info !== undefined) {
    const bad: string[] = [];
    if (info?.uid !== key) bad.push(`uid ${JSON.stringify(info?.uid)} != key`);
    if (typeof info?.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(info.sha256)) bad.push('sha256 must be 64 hex digits');
    if (!Number.isInteger(info?.width) || info!.width! <= 0 || !Number.isInteger(info?.height) || info!.height! <= 0) bad.push('width/height must be positive integers');
    if (typeof info?.caption !== 'string') bad.push('caption must be a string');
    if (!['sidecar', 'manifest', 'filename', 'none'].includes(info?.caption_source as string)) bad.push(`caption_source ${JSON.stringify(info?.caption_source)} is unknown`);
    if (bad.length) problems.push(`${key}.json: ${bad.join('; ')}`);
    else sample.info = info as SampleInfo;
  }
  const syn = json('syn.json') as { syn_text?: unknown } | undefined;
  if (syn !== undefined) {
    if (!Array.isArray(syn?.syn_text) || !syn.syn_text.every((s) => typeof s === 'string')) problems.push(`${key}.syn.json: syn_text must be a list of strings`);
    else sample.syn = syn.syn_text as string[];
  }
  const paug = json('paug.json') as StoredAugmentations | undefined;
  if (paug !== undefined) sample.paug = paug;

  const npzBytes = members.get('npz');
  if (npzBytes) {
    try {
      const arrays = decodeNpz(npzBytes);
      const names = [...arrays.keys()].sort();
      if (names.join(',') !== 'image_emb,text_emb') problems.push(`${key}.npz holds [${names.join(', ')}], expected image_emb and text_emb`);
      const check = (name: string, rows: number | undefined): Matrix | undefined => {
        const a = arrays.get(name);
        if (!a) return undefined;
        const where = `${key}.npz ${name}`;
        if (a.descr !== '<f4') { problems.push(`${where}: dtype ${a.descr}, expected <f4 (float32 little-endian)`); return undefined; }
        if (a.fortranOrder) { problems.push(`${where}: Fortran order, expected C order`); return undefined; }
        if (a.shape.length !== 2 || a.shape[1] !== dim || (rows !== undefined && a.shape[0] !== rows)) {
          problems.push(`${where}: shape (${a.shape.join(', ')}), expected (${rows ?? 'n'}, ${dim})`);
          return undefined;
        }
        if (!a.data!.every(Number.isFinite)) { problems.push(`${where}: non-finite values`); return undefined; }
        return { shape: [a.shape[0]!, a.shape[1]!], data: a.data! };
      };
      sample.imageEmb = check('image_emb', augmentations);
      sample.textEmb = check('text_emb', sample.syn ? 1 + sample.syn.length : undefined);
    } catch (err) {
      problems.push(`${key}.npz: ${(err as Error).message}`);
    }
  }
  return { sample, problems };
}
