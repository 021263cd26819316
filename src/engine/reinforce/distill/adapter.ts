// A trained embedding adapter: a linear map on the frozen student's image embeddings (and
// optionally one on its text embeddings), initialised to the identity, followed by L2
// normalization. Search and tagging apply it with `applyAdapter` to embeddings of the same
// student model (checked by fingerprint).
import { promises as fs } from 'node:fs';
import { writeJsonAtomic } from '../../util/atomic';
import { writeNormalized } from '../../vectors';

export const ADAPTER_FORMAT = 'mobileclip-assets/adapter';
export const ADAPTER_VERSION = 1;

export interface Adapter {
  student: { id: string; fingerprint: string; dim: number };
  /** [dim, dim] row-major: adapted = normalize(W · embedding). */
  image: Float32Array;
  /** Same for text embeddings; absent = texts pass through unchanged. */
  text?: Float32Array;
  /** Student logit scale learned with the adapter (for softmax over similarities). */
  logitScale: number;
}

/** The JSON file: weights as base64 of little-endian float32, plus free-form training metadata. */
interface AdapterFile {
  format: typeof ADAPTER_FORMAT;
  version: number;
  student: Adapter['student'];
  logitScale: number;
  image: { rows: number; cols: number; float32le: string };
  text: { rows: number; cols: number; float32le: string } | null;
  training?: unknown;
}

export function identityMatrix(dim: number): Float32Array {
  const m = new Float32Array(dim * dim);
  for (let i = 0; i < dim; i++) m[i * dim + i] = 1;
  return m;
}

/** normalize(W · embedding) for the given side; the input is not modified. */
export function applyAdapter(adapter: Adapter, embedding: Float32Array, side: 'image' | 'text' = 'image'): Float32Array {
  const dim = adapter.student.dim;
  if (embedding.length !== dim) throw new Error(`adapter expects ${dim}-d embeddings, got ${embedding.length}`);
  const w = side === 'image' ? adapter.image : adapter.text;
  const out = new Float32Array(dim);
  if (!w) out.set(embedding);
  else {
    for (let i = 0; i < dim; i++) {
      let s = 0;
      for (let j = 0; j < dim; j++) s += w[i * dim + j]! * embedding[j]!;
      out[i] = s;
    }
  }
  writeNormalized(out, 0, out, dim);
  return out;
}

/** `applyAdapter` bound to one adapter and side, for callers that map many embeddings. */
export function adapterFunction(adapter: Adapter, side: 'image' | 'text' = 'image'): (embedding: Float32Array) => Float32Array {
  return (e) => applyAdapter(adapter, e, side);
}

function toBase64(m: Float32Array): string {
  const b = Buffer.alloc(m.length * 4);
  m.forEach((v, i) => b.writeFloatLE(v, i * 4));
  return b.toString('base64');
}

function fromBase64(s: string, count: number, where: string): Float32Array {
  const b = Buffer.from(s, 'base64');
  if (b.length !== count * 4) throw new Error(`${where}: ${b.length} bytes of weights, expected ${count * 4}`);
  const m = new Float32Array(count);
  for (let i = 0; i < count; i++) m[i] = b.readFloatLE(i * 4);
  return m;
}

export async function saveAdapter(file: string, adapter: Adapter, training?: unknown): Promise<void> {
  const d = adapter.student.dim;
  const body: AdapterFile = {
    format: ADAPTER_FORMAT,
    version: ADAPTER_VERSION,
    student: adapter.student,
    logitScale: adapter.logitScale,
    image: { rows: d, cols: d, float32le: toBase64(adapter.image) },
    text: adapter.text ? { rows: d, cols: d, float32le: toBase64(adapter.text) } : null,
    training,
  };
  await writeJsonAtomic(file, body);
}

/** Loads an adapter; with `studentFingerprint`, refuses one trained for another model. */
export async function loadAdapter(file: string, studentFingerprint?: string): Promise<Adapter> {
  const raw = JSON.parse(await fs.readFile(file, 'utf8')) as AdapterFile;
  if (raw?.format !== ADAPTER_FORMAT || raw.version !== ADAPTER_VERSION) throw new Error(`${file} is not a ${ADAPTER_FORMAT} v${ADAPTER_VERSION} file`);
  const d = raw.student?.dim;
  if (!Number.isInteger(d) || d <= 0) throw new Error(`${file}: bad student dim`);
  if (studentFingerprint !== undefined && raw.student.fingerprint !== studentFingerprint) {
    throw new Error(`${file} was trained for model ${raw.student.id} (fingerprint ${raw.student.fingerprint}), not this one (${studentFingerprint})`);
  }
  for (const side of ['image', 'text'] as const) {
    const m = raw[side];
    if (m && (m.rows !== d || m.cols !== d)) throw new Error(`${file}: ${side} matrix is ${m.rows}x${m.cols}, expected ${d}x${d}`);
  }
  return {
    student: raw.student,
    logitScale: raw.logitScale,
    image: fromBase64(raw.image.float32le, d * d, file),
    text: raw.text ? fromBase64(raw.text.float32le, d * d, file) : undefined,
  };
}
