// Embedding rows in their storage precision, as the index keeps them in memory: float32, float16
// (half the memory, widened on the fly by the kernel) or int8 with a per-row scale (a quarter plus
// 4 bytes a row). The bytes are laid out as in the vector file, so loading an index is one copy.
import { decodeFloat16, encodeFloat16, fromHalfBits } from '../index/float16';
import { allocVectorBytes, rowBytes, simdDot, type RowKind } from './simd';
import { dotRows as dotFloat32Rows } from '../vectors';

export type VectorDType = 'float32' | 'float16' | 'int8';

const KIND: Record<VectorDType, RowKind> = { float32: 'f32', float16: 'f16', int8: 'i8' };

/** Bytes one row of `dim` values takes in `dtype` (int8 rows lead with a float32 scale). */
export function bytesPerRow(dtype: VectorDType, dim: number): number {
  return rowBytes(KIND[dtype], dim);
}

/** Allocate zeroed storage for `rows` rows that the SIMD kernel can score in place. */
export function allocRows(dtype: VectorDType, dim: number, rows: number): Uint8Array {
  return allocVectorBytes(rows * bytesPerRow(dtype, dim));
}

/** Write `values` (dim floats) as row `row` of `bytes` in `dtype`. */
export function encodeRow(dtype: VectorDType, values: Float32Array, bytes: Uint8Array, row: number): void {
  const dim = values.length;
  const at = bytes.byteOffset + row * bytesPerRow(dtype, dim);
  if (dtype === 'float32') {
    new Float32Array(bytes.buffer, at, dim).set(values);
  } else if (dtype === 'float16') {
    encodeFloat16(values, new Uint16Array(bytes.buffer, at, dim));
  } else {
    // Per-row scale: the largest magnitude maps to 127 (symmetric, so -128 never occurs).
    let max = 0;
    for (let j = 0; j < dim; j++) max = Math.max(max, Math.abs(values[j]!));
    const scale = max / 127;
    const view = new DataView(bytes.buffer, at, dim + 4);
    view.setFloat32(0, scale, true);
    const q = new Int8Array(bytes.buffer, at + 4, dim);
    const inv = scale > 0 ? 1 / scale : 0;
    for (let j = 0; j < dim; j++) q[j] = Math.round(values[j]! * inv);
  }
}

/**
 * A read-only table of `rows` embeddings of `dim` values in `dtype`: scoring and decoding. The
 * bytes are never written after the table is made (the index appends past them or copies).
 */
export class VectorTable {
  constructor(
    readonly dtype: VectorDType,
    readonly dim: number,
    readonly rows: number,
    /** `rows` rows, laid out as in the index's vector file. */
    readonly bytes: Uint8Array,
  ) {
    const need = rows * bytesPerRow(dtype, dim);
    if (bytes.length < need) throw new Error(`vector table needs ${need} bytes, got ${bytes.length}`);
  }

  /** A table over float32 values (copied into kernel memory), e.g. vectors built in a test. */
  static fromFloat32(values: Float32Array, dim: number, dtype: VectorDType = 'float32'): VectorTable {
    const rows = Math.floor(values.length / dim);
    const bytes = allocRows(dtype, dim, rows);
    for (let r = 0; r < rows; r++) encodeRow(dtype, values.subarray(r * dim, (r + 1) * dim), bytes, r);
    return new VectorTable(dtype, dim, rows, bytes);
  }

  /** Bytes the rows take in memory. */
  get byteLength(): number {
    return this.rows * bytesPerRow(this.dtype, this.dim);
  }

  /** Row `r` as float32 values (a copy: what this storage gives back of the embedding). */
  row(r: number, out: Float32Array = new Float32Array(this.dim)): Float32Array {
    const dim = this.dim;
    const at = this.bytes.byteOffset + r * bytesPerRow(this.dtype, dim);
    if (this.dtype === 'float32') out.set(new Float32Array(this.bytes.buffer, at, dim));
    else if (this.dtype === 'float16') decodeFloat16(new Uint16Array(this.bytes.buffer, at, dim), out);
    else {
      const scale = new DataView(this.bytes.buffer, at, 4).getFloat32(0, true);
      const q = new Int8Array(this.bytes.buffer, at + 4, dim);
      for (let j = 0; j < dim; j++) out[j] = q[j]! * scale;
    }
    return out;
  }

  /** Row `r` as float32 values without copying when the storage is float32 (a view), else decoded. */
  rowView(r: number): Float32Array {
    const at = this.bytes.byteOffset + r * bytesPerRow(this.dtype, this.dim);
    return this.dtype === 'float32' && at % 4 === 0 ? new Float32Array(this.bytes.buffer, at, this.dim) : this.row(r);
  }

  /** Every row as float32 values, row-major (a copy). */
  toFloat32(): Float32Array {
    const out = new Float32Array(this.rows * this.dim);
    for (let r = 0; r < this.rows; r++) this.row(r, out.subarray(r * this.dim, (r + 1) * this.dim));
    return out;
  }

  /** The first `rows` rows (a view). */
  head(rows: number): VectorTable {
    return new VectorTable(this.dtype, this.dim, rows, this.bytes.subarray(0, rows * bytesPerRow(this.dtype, this.dim)));
  }

  /** out[r] = dot(row r, query) for every row (cosine, as both sides are L2-normalized). */
  dotRows(query: Float32Array, out: Float32Array): Float32Array {
    // Rows live where the SIMD kernel reads them at memory speed; the loops below are the fallback.
    if (simdDot(this.bytes, KIND[this.dtype], this.rows, this.dim, query, out)) return out;
    if (this.dtype === 'float32' && this.bytes.byteOffset % 4 === 0) {
      return dotFloat32Rows(new Float32Array(this.bytes.buffer, this.bytes.byteOffset, this.rows * this.dim), this.dim, query, out);
    }
    for (let r = 0; r < this.rows; r++) out[r] = this.dotRow(r, query);
    return out;
  }

  /** dot(row r, query) for one row. */
  dotRow(r: number, query: Float32Array): number {
    const dim = this.dim;
    const at = this.bytes.byteOffset + r * bytesPerRow(this.dtype, dim);
    let s = 0;
    if (this.dtype === 'float32') {
      const v = new Float32Array(this.bytes.buffer, at, dim);
      for (let j = 0; j < dim; j++) s += v[j]! * query[j]!;
    } else if (this.dtype === 'float16') {
      const v = new Uint16Array(this.bytes.buffer, at, dim);
      for (let j = 0; j < dim; j++) s += fromHalfBits(v[j]!) * query[j]!;
    } else {
      const scale = new DataView(this.bytes.buffer, at, 4).getFloat32(0, true);
      const q = new Int8Array(this.bytes.buffer, at + 4, dim);
      for (let j = 0; j < dim; j++) s += q[j]! * query[j]!;
      s *= scale;
    }
    return s;
  }
}
