// The two ONNX towers. Everything about their shapes is read from the graphs: the embedding
// size from the output shape (or a probe run), the image size from the input shape (or the
// preprocessor config), batching from whether the batch axis is symbolic.
import * as ort from 'onnxruntime-node';
import { l2Normalize } from '../vectors';
import { type SessionSettings, createSession } from './providers';

type TensorMeta = { name: string; type: string; shape: ReadonlyArray<number | string> };

function tensorMeta(list: readonly ort.InferenceSession.ValueMetadata[], what: string, file: string): TensorMeta[] {
  const out: TensorMeta[] = [];
  for (const m of list) if (m.isTensor) out.push({ name: m.name, type: m.type, shape: m.shape });
  if (!out.length) throw new Error(`${file}: the graph has no tensor ${what}`);
  return out;
}

function pick(list: TensorMeta[], preferred: string, accept: (m: TensorMeta) => boolean): TensorMeta | undefined {
  return list.find((m) => m.name === preferred) ?? list.find(accept);
}

/** Batch capacity of a graph: undefined when the batch axis is symbolic (any size works). */
function staticBatch(shape: ReadonlyArray<number | string>): number | undefined {
  const b = shape[0];
  return typeof b === 'number' && b > 0 ? b : undefined;
}

/** Split `items` into runs that fit the graph: `preferred` per run, or exactly the static batch. */
async function runBatched<T>(
  items: readonly T[],
  fixed: number | undefined,
  preferred: number,
  run: (chunk: readonly T[], padTo: number) => Promise<Float32Array[]>,
): Promise<Float32Array[]> {
  const step = fixed ?? Math.max(1, preferred);
  const out: Float32Array[] = [];
  for (let i = 0; i < items.length; i += step) {
    const chunk = items.slice(i, i + step);
    out.push(...(await run(chunk, fixed ?? chunk.length)));
  }
  return out;
}

function rows(data: Float32Array, count: number, dim: number): Float32Array[] {
  const out: Float32Array[] = [];
  for (let i = 0; i < count; i++) out.push(l2Normalize(data.subarray(i * dim, (i + 1) * dim)));
  return out;
}

function readEmbeddings(output: ort.Tensor | undefined, name: string, count: number): { data: Float32Array; dim: number } {
  if (!output) throw new Error(`model produced no output "${name}"`);
  if (output.type !== 'float32') throw new Error(`output "${name}" is ${output.type}, expected float32`);
  const dims = output.dims;
  const dim = dims.length >= 2 ? Number(dims[dims.length - 1]) : output.data.length / count;
  if (!Number.isInteger(dim) || dim <= 0 || output.data.length < count * dim) {
    throw new Error(`output "${name}" has shape [${dims.join(',')}], expected [${count},dim]`);
  }
  return { data: output.data as Float32Array, dim };
}

export interface VisionTowerOptions extends SessionSettings {
  /** Square input size from the preprocessor config, used when the graph's H/W are symbolic. */
  configImageSize?: number;
}

export class VisionTower {
  private constructor(
    private readonly session: ort.InferenceSession,
    readonly provider: string,
    readonly inputName: string,
    readonly outputName: string,
    /** Fixed batch size of the graph, or undefined when dynamic. */
    readonly fixedBatch: number | undefined,
    readonly imageSize: number,
    public dim: number,
  ) {}

  get dynamicBatch(): boolean {
    return this.fixedBatch === undefined;
  }

  static async load(file: string, opts: VisionTowerOptions, candidates?: string[]): Promise<VisionTower> {
    const { session, provider } = await createSession(file, opts, candidates);
    try {
      const inputs = tensorMeta(session.inputMetadata, 'inputs', file);
      const outputs = tensorMeta(session.outputMetadata, 'outputs', file);
      const input = pick(inputs, 'pixel_values', (m) => m.type === 'float32' && m.shape.length === 4);
      if (!input || input.type !== 'float32' || input.shape.length !== 4) {
        throw new Error(`${file}: expected a float32 [batch,3,H,W] input, found ${describe(inputs)}`);
      }
      const output = pick(outputs, 'image_embeds', (m) => m.type === 'float32');
      if (!output) throw new Error(`${file}: expected a float32 embedding output, found ${describe(outputs)}`);
      const [, , h, w] = input.shape;
      let imageSize: number | undefined;
      if (typeof h === 'number' && typeof w === 'number') {
        if (h !== w) throw new Error(`${file}: non-square input ${h}x${w} is not supported`);
        imageSize = h;
      } else {
        imageSize = opts.configImageSize;
      }
      if (!imageSize) throw new Error(`${file}: the graph's input size is symbolic and the preprocessor config gives none`);
      const fixedBatch = staticBatch(input.shape);
      const last = output.shape[output.shape.length - 1];
      const tower = new VisionTower(session, provider, input.name, output.name, fixedBatch, imageSize, typeof last === 'number' ? last : 0);
      if (!tower.dim) {
        // Symbolic embedding size: one probe run on a black image tells.
        const [probe] = await tower.runRaw([new Float32Array(3 * imageSize * imageSize)]);
        tower.dim = probe.length;
      }
      return tower;
    } catch (err) {
      await session.release().catch(() => undefined);
      throw err;
    }
  }

  /** L2-normalized embeddings of CHW float32 tensors of size 3 x imageSize x imageSize. */
  async embed(tensors: readonly Float32Array[], batchSize: number): Promise<Float32Array[]> {
    const expected = 3 * this.imageSize * this.imageSize;
    for (const t of tensors) {
      if (t.length !== expected) throw new Error(`input tensor has ${t.length} values, the model takes 3x${this.imageSize}x${this.imageSize}`);
    }
    return runBatched(tensors, this.fixedBatch, batchSize, (chunk, padTo) => this.run(chunk, padTo));
  }

  private async runRaw(tensors: readonly Float32Array[]): Promise<Float32Array[]> {
    const out = await this.run(tensors, this.fixedBatch ?? tensors.length, false);
    return out;
  }

  private async run(chunk: readonly Float32Array[], padTo: number, normalize = true): Promise<Float32Array[]> {
    const plane = 3 * this.imageSize * this.imageSize;
    const data = new Float32Array(padTo * plane);
    chunk.forEach((t, i) => data.set(t, i * plane));
    const feeds = { [this.inputName]: new ort.Tensor('float32', data, [padTo, 3, this.imageSize, this.imageSize]) };
    const result = await this.session.run(feeds, [this.outputName]);
    const { data: emb, dim } = readEmbeddings(result[this.outputName], this.outputName, padTo);
    if (!normalize) return [Float32Array.from(emb.subarray(0, dim))];
    return rows(emb, chunk.length, dim);
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

export interface TextEncoder {
  readonly contextLength: number;
  /** Row-major [texts.length, contextLength] ids. */
  encode(texts: readonly string[]): BigInt64Array;
  readonly padId: number;
}

export class TextTower {
  private constructor(
    private readonly session: ort.InferenceSession,
    readonly provider: string,
    private readonly idsInput: TensorMeta,
    private readonly maskInput: TensorMeta | undefined,
    readonly outputName: string,
    readonly fixedBatch: number | undefined,
    /** Static sequence length of the graph, if any. */
    readonly contextLength: number | undefined,
  ) {}

  static async load(file: string, opts: SessionSettings, candidates?: string[]): Promise<TextTower> {
    const { session, provider } = await createSession(file, opts, candidates);
    try {
      const inputs = tensorMeta(session.inputMetadata, 'inputs', file);
      const outputs = tensorMeta(session.outputMetadata, 'outputs', file);
      const ids = pick(inputs, 'input_ids', (m) => (m.type === 'int64' || m.type === 'int32') && m.shape.length === 2);
      if (!ids || ids.shape.length !== 2 || (ids.type !== 'int64' && ids.type !== 'int32')) {
        throw new Error(`${file}: expected an int64 [batch,length] input_ids input, found ${describe(inputs)}`);
      }
      const mask = inputs.find((m) => m.name === 'attention_mask');
      const unknown = inputs.filter((m) => m !== ids && m !== mask);
      if (unknown.length) throw new Error(`${file}: unsupported text inputs ${describe(unknown)}`);
      const output = pick(outputs, 'text_embeds', (m) => m.type === 'float32');
      if (!output) throw new Error(`${file}: expected a float32 embedding output, found ${describe(outputs)}`);
      const len = ids.shape[1];
      return new TextTower(session, provider, ids, mask, output.name, staticBatch(ids.shape), typeof len === 'number' ? len : undefined);
    } catch (err) {
      await session.release().catch(() => undefined);
      throw err;
    }
  }

  /** L2-normalized embeddings, in input order. `encoder.contextLength` must match the graph. */
  async embed(texts: readonly string[], encoder: TextEncoder, batchSize: number): Promise<Float32Array[]> {
    const L = encoder.contextLength;
    return runBatched(texts, this.fixedBatch, batchSize, async (chunk, padTo) => {
      const ids = new BigInt64Array(padTo * L).fill(BigInt(encoder.padId));
      ids.set(encoder.encode(chunk));
      const feeds: Record<string, ort.Tensor> = { [this.idsInput.name]: intTensor(this.idsInput.type, ids, [padTo, L]) };
      if (this.maskInput) {
        const mask = new BigInt64Array(ids.length);
        for (let r = 0; r < padTo; r++) {
          // Attend up to and including the end token (the largest id in the row).
          let end = 0;
          for (let c = 0; c < L; c++) if (ids[r * L + c] > ids[r * L + end]) end = c;
          for (let c = 0; c <= end; c++) mask[r * L + c] = 1n;
        }
        feeds[this.maskInput.name] = intTensor(this.maskInput.type, mask, [padTo, L]);
      }
      const result = await this.session.run(feeds, [this.outputName]);
      const { data, dim } = readEmbeddings(result[this.outputName], this.outputName, padTo);
      return rows(data, chunk.length, dim);
    });
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

function intTensor(type: string, ids: BigInt64Array, dims: number[]): ort.Tensor {
  if (type === 'int32')
    return new ort.Tensor(
      'int32',
      Int32Array.from(ids, (v) => Number(v)),
      dims,
    );
  return new ort.Tensor('int64', ids, dims);
}

function describe(list: TensorMeta[]): string {
  return list.map((m) => `${m.name} ${m.type} [${m.shape.join(',')}]`).join(', ') || 'nothing';
}
