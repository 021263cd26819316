// The on-disk layout of a reinforced dataset: Apple's DataCompDR/RayGen webdataset samples (see
// FORMAT.md next to this file), written by us and read back from us, RayGen or DataCompDR.
import { createHash } from 'node:crypto';
import type { AugmentSettings } from './augment';
import type { CaptionOrigin } from './inputs';
import { decodeNpz, encodeNpz, type Matrix } from './npy';
import type { TarMember } from './tar';
import { loadTorchGz } from './torchLoad';

export const MANIFEST_FILE = 'manifest.json';
/** The reinforcement config written next to the shards (`--dataset-reinforcement-config`). */
export const CONFIG_FILE = 'rdata_config.json';
export const SHARD_DIR = 'shards';
export const DATASET_FORMAT = 'mobileclip-assets/datacompdr';
export const DATASET_FORMAT_VERSION = 2;

/** 8 digits, as RayGen names its shards ("count" naming). */
export function shardName(index: number): string {
  return `${String(index).padStart(8, '0')}.tar`;
}

/** Sample uid: the first 32 hex digits of sha256(relative POSIX path). Also the webdataset key. */
export function sampleUid(relPath: string): string {
  return createHash('sha256').update(relPath, 'utf8').digest('hex').slice(0, 32);
}

/** Contents of a sample's `json` member (what our writer puts there; other writers put other fields). */
export interface SampleInfo {
  uid: string;
  /** sha256 of the source image file. */
  sha256: string;
  /** Size of the stored image. */
  width: number;
  height: number;
  /** Where the `.txt` caption came from; 'none' means it is empty and text_emb row 0 is all zeros. */
  caption_source: CaptionOrigin;
}

/** What one sample of our writer holds. */
export interface SampleContent {
  url: string;
  info: SampleInfo;
  image: { ext: 'png' | 'jpg'; bytes: Uint8Array };
  caption: string;
  syn: string[];
  /** Compressed parameter lists, one per augmentation (`paug.json` "param_aug"). */
  paramAug: unknown[][];
  /** [K, D] teacher-ensemble image embeddings, row k = param_aug[k]. */
  imageEmb: Matrix;
  /** [1, D] ground-truth caption embedding (zeros when there is no caption). */
  textEmb: Matrix;
  /** [syn.length, D], row j = syn[j]. */
  synTextEmb: Matrix;
}

const utf8 = (s: string): Uint8Array => Buffer.from(s, 'utf8');

/** The webdataset members of a sample, sorted by extension as webdataset's TarWriter writes them. */
export function sampleMembers(s: SampleContent): TarMember[] {
  const key = s.info.uid;
  const info: SampleInfo = { uid: s.info.uid, sha256: s.info.sha256, width: s.info.width, height: s.info.height, caption_source: s.info.caption_source };
  const members: Array<[string, Uint8Array]> = [
    ['json', utf8(JSON.stringify(info))],
    [
      'npz',
      encodeNpz([
        ['image_emb', s.imageEmb],
        ['text_emb', s.textEmb],
        ['syn_text_emb', s.synTextEmb],
      ]),
    ],
    ['paug.json', utf8(JSON.stringify({ param_aug: s.paramAug }))],
    [s.image.ext, s.image.bytes],
    ['syn.json', utf8(JSON.stringify({ syn_text: s.syn }))],
    ['txt', utf8(s.caption)],
    ['url.txt', utf8(s.url)],
  ];
  members.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return members.map(([ext, data]) => ({ name: `${key}.${ext}`, data }));
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
  /** Relative to the dataset folder, e.g. "shards/00000000.tar". */
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
  /** Provenance only: readers never open files from it unless it lies inside the dataset folder. */
  source: { root: string; captionManifest: string | null };
  /** The reinforcement config (relative to the dataset folder). */
  config: string;
  teachers: TeacherEntry[];
  /** Sum of the teachers' dims: the width of every embedding row. */
  embeddingDim: number;
  seed: number;
  augmentation: AugmentSettings & { sampler: string; rng: string; replay: string };
  syntheticCaptions: { source: string | null };
  missingCaption: 'filename' | 'zero';
  /** Whether Apple's loader (open_clip + ml-mobileclip's patch) loads every sample, and why not. */
  appleLoader: { loadsEverySample: boolean; notes: string[] };
  background: string;
  samplesPerShard: number;
  counts: { images: number; samples: number; skipped: number; shards: number };
  skipped: Array<{ path: string; error: string }>;
  inputProblems: Array<{ path: string; error: string }>;
  shards: ShardEntry[];
}

/** The teacher blocks of an embedding row: teachers in manifest order, each L2-normalized. */
export function teacherSlices(dims: readonly number[]): Array<[number, number]> {
  let at = 0;
  return dims.map((d) => {
    const s: [number, number] = [at, at + d];
    at += d;
    return s;
  });
}

// ------------------------------------------------------------------ reading any sample

export const IMAGE_MEMBERS = ['png', 'jpg', 'jpeg', 'webp'] as const;
const SYN_KEY = /^syn_text.*$/;

export interface EmbeddingArray {
  dtype: string;
  shape: number[];
  data?: Float32Array;
}

/** One sample's members, decoded field by field; each problem names its member. */
export interface ParsedMembers {
  key: string;
  url?: string;
  /** The `.txt` caption (Apple renames it to "text"). */
  caption?: string;
  info?: Record<string, unknown>;
  image?: { ext: string; bytes: Buffer };
  /** syn.json keys matching ^syn_text.*$, in file order, with their captions. */
  syn?: Array<{ key: string; captions: string[] }>;
  paramAug?: unknown[];
  embeddings?: { member: 'npz' | 'pth.gz'; arrays: Map<string, EmbeddingArray> };
  problems: string[];
}

/** Decodes the members Apple's loader uses, the way webdataset's decoders would. */
// Long: one case per webdataset member, in the order Apple's loader reads them; splitting would scatter that table.
export function parseMembers(key: string, members: ReadonlyMap<string, Buffer>): ParsedMembers {
  const out: ParsedMembers = { key, problems: [] };
  const json = (ext: string): unknown => {
    const b = members.get(ext);
    if (!b) return undefined;
    try {
      return JSON.parse(b.toString('utf8'));
    } catch (err) {
      out.problems.push(`${ext}: not valid JSON (${(err as Error).message})`);
      return undefined;
    }
  };
  const url = members.get('url.txt');
  if (url) out.url = url.toString('utf8');
  const txt = members.get('txt');
  if (txt) out.caption = txt.toString('utf8');
  const info = json('json');
  if (info !== undefined) {
    if (info && typeof info === 'object' && !Array.isArray(info)) out.info = info as Record<string, unknown>;
    else out.problems.push('json: not an object');
  }
  const imageExt = IMAGE_MEMBERS.find((e) => members.has(e));
  if (imageExt) out.image = { ext: imageExt, bytes: members.get(imageExt)! };

  const syn = json('syn.json');
  if (syn !== undefined) {
    if (!syn || typeof syn !== 'object' || Array.isArray(syn)) out.problems.push('syn.json: not an object');
    else {
      out.syn = [];
      for (const [k, v] of Object.entries(syn as Record<string, unknown>)) {
        if (!SYN_KEY.test(k)) continue;
        if (!Array.isArray(v) || !v.every((c) => typeof c === 'string')) {
          out.problems.push(`syn.json ${k}: not a list of strings`);
          continue;
        }
        out.syn.push({ key: k, captions: v as string[] });
      }
    }
  }
  const paug = json('paug.json');
  if (paug !== undefined) {
    const list = (paug as { param_aug?: unknown } | null)?.param_aug;
    // The Hugging Face copy of DataCompDR shows param_aug as a JSON string: accept both.
    const parsed =
      typeof list === 'string'
        ? (() => {
            try {
              return JSON.parse(list) as unknown;
            } catch {
              return undefined;
            }
          })()
        : list;
    if (!Array.isArray(parsed)) out.problems.push('paug.json: no "param_aug" list');
    else if (parsed.length === 0) out.problems.push('paug.json: "param_aug" is empty');
    else out.paramAug = parsed;
  }

  const npz = members.get('npz');
  const pth = members.get('pth.gz');
  if (npz) {
    try {
      const arrays = new Map<string, EmbeddingArray>();
      for (const [name, a] of decodeNpz(npz)) {
        if (a.fortranOrder) {
          out.problems.push(`npz ${name}: Fortran order`);
          continue;
        }
        arrays.set(name, { dtype: a.descr, shape: a.shape, data: a.data });
      }
      out.embeddings = { member: 'npz', arrays };
    } catch (err) {
      out.problems.push(`npz: ${(err as Error).message}`);
    }
  } else if (pth) {
    try {
      const arrays = new Map<string, EmbeddingArray>();
      for (const [name, t] of loadTorchGz(pth)) arrays.set(name, { dtype: t.dtype, shape: t.shape, data: t.data });
      out.embeddings = { member: 'pth.gz', arrays };
    } catch (err) {
      out.problems.push(`pth.gz: ${(err as Error).message}`);
    }
  }
  return out;
}

/** A 2-D float array of `rows` (when given) x `dim`; otherwise a problem for `name`. */
export function embeddingMatrix(p: ParsedMembers, name: string, dim: number | undefined, rows: number | undefined): Matrix | string {
  const a = p.embeddings?.arrays.get(name);
  const where = `${p.embeddings?.member ?? 'npz'} ${name}`;
  if (!a) return `${where}: missing`;
  if (!a.data) return `${where}: dtype ${a.dtype}, expected a float type`;
  if (a.shape.length !== 2) return `${where}: shape (${a.shape.join(', ')}), expected 2 dimensions`;
  const [r, c] = a.shape as [number, number];
  if ((rows !== undefined && r !== rows) || (dim !== undefined && c !== dim)) return `${where}: shape (${r}, ${c}), expected (${rows ?? 'n'}, ${dim ?? 'd'})`;
  if (!a.data.every(Number.isFinite)) return `${where}: non-finite values`;
  return { shape: [r, c], data: a.data };
}
