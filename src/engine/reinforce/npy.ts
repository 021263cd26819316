// NumPy .npy (format version 1.0) and .npz (a stored zip of .npy files, like numpy.savez)
// for float32 matrices. Written bytes are fully deterministic: fixed zip timestamps, no
// compression, fixed member order.
import * as zlib from 'node:zlib';
import { unzipSync, zipSync } from 'fflate';

export interface Matrix {
  shape: [number, number];
  data: Float32Array;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** A float32 little-endian C-order .npy v1.0 file. */
export function encodeNpy(m: Matrix): Uint8Array {
  const [rows, cols] = m.shape;
  if (m.data.length !== rows * cols) throw new Error(`npy: data length ${m.data.length} does not match shape [${rows}, ${cols}]`);
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${rows}, ${cols}), }`;
  // numpy pads the header with spaces so that the data starts on a 64-byte boundary.
  const unpadded = MAGIC.length + 2 + 2 + header.length + 1;
  header += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const headerBytes = Buffer.from(header, 'latin1');
  if (headerBytes.length > 0xffff) throw new Error('npy: header too long for format 1.0');
  const out = new Uint8Array(MAGIC.length + 4 + headerBytes.length + rows * cols * 4);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, headerBytes.length, true);
  out.set(headerBytes, 10);
  const body = new DataView(out.buffer, 10 + headerBytes.length);
  for (let i = 0; i < m.data.length; i++) body.setFloat32(i * 4, m.data[i]!, true);
  return out;
}

export interface DecodedNpy {
  descr: string;
  fortranOrder: boolean;
  shape: number[];
  /** Present when descr is a float dtype (16, 32 or 64 bits), converted to float32. */
  data?: Float32Array;
}

/** Parses an .npy header (versions 1.0-3.0) and, for float32, its data. Throws on malformed input. */
export function decodeNpy(bytes: Uint8Array): DecodedNpy {
  if (bytes.length < 10 || !MAGIC.every((b, i) => bytes[i] === b)) throw new Error('npy: bad magic');
  const major = bytes[6]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLen: number;
  let start: number;
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    start = 10;
  } else if (major === 2 || major === 3) {
    headerLen = view.getUint32(8, true);
    start = 12;
  } else throw new Error(`npy: unsupported format version ${major}.${bytes[7]}`);
  if (start + headerLen > bytes.length) throw new Error('npy: truncated header');
  const header = Buffer.from(bytes.subarray(start, start + headerLen)).toString(major === 3 ? 'utf8' : 'latin1');
  const descr = /'descr':\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) throw new Error(`npy: malformed header ${JSON.stringify(header.trim())}`);
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(Number);
  if (!shape.every((n) => Number.isInteger(n) && n >= 0)) throw new Error(`npy: bad shape (${shapeText})`);
  const result: DecodedNpy = { descr, fortranOrder: fortran === 'True', shape };
  const dataStart = start + headerLen;
  const float = /^([<>=|])f([248])$/.exec(descr);
  if (float) {
    const size = Number(float[2]);
    const littleEndian = float[1] === '<' || ((float[1] === '=' || float[1] === '|') && LITTLE_ENDIAN);
    const count = shape.reduce((a, b) => a * b, 1);
    if (bytes.length - dataStart !== count * size) {
      throw new Error(`npy: ${bytes.length - dataStart} data bytes for shape (${shape.join(', ')}) of ${size * 8}-bit floats (expected ${count * size})`);
    }
    const data = new Float32Array(count);
    for (let i = 0; i < count; i++) {
      const at = dataStart + i * size;
      data[i] = size === 4 ? view.getFloat32(at, littleEndian) : size === 8 ? view.getFloat64(at, littleEndian) : halfFloat(view.getUint16(at, littleEndian));
    }
    result.data = data;
  }
  return result;
}

/** IEEE half-precision bits to a number. */
export function halfFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return sign * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : sign * Infinity;
  return sign * 2 ** (e - 15) * (1 + f / 1024);
}

// DOS timestamps are in local time; constructing the date from local fields keeps it fixed
// (1980-01-01 00:00:00, the earliest DOS date) in every time zone.
const ZIP_TIME = new Date(1980, 0, 1, 0, 0, 0);

/** numpy.savez-style archive: members `<name>.npy`, stored (uncompressed), in the given order. */
export function encodeNpz(arrays: ReadonlyArray<[string, Matrix]>): Uint8Array {
  const members: Record<string, [Uint8Array, { level: 0; mtime: Date }]> = {};
  for (const [name, m] of arrays) members[`${name}.npy`] = [encodeNpy(m), { level: 0, mtime: ZIP_TIME }];
  return zipSync(members, { level: 0, mtime: ZIP_TIME });
}

/** Reads every member of an .npz; checks member CRCs when the runtime offers zlib.crc32. */
export function decodeNpz(bytes: Uint8Array): Map<string, DecodedNpy> {
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes);
  } catch (err) {
    throw new Error(`npz: not a readable zip (${(err as Error).message ?? err})`);
  }
  const crcs = centralDirectoryCrcs(bytes);
  const out = new Map<string, DecodedNpy>();
  for (const [name, data] of Object.entries(files)) {
    const expected = crcs.get(name);
    const crc32 = (zlib as { crc32?: (d: Uint8Array) => number }).crc32;
    if (crc32 && expected !== undefined && crc32(data) >>> 0 !== expected) throw new Error(`npz: CRC mismatch in ${name}`);
    if (!name.endsWith('.npy')) throw new Error(`npz: unexpected member ${name}`);
    out.set(name.slice(0, -4), decodeNpy(data));
  }
  return out;
}

/** name -> CRC-32 from the zip's central directory (fflate does not check CRCs itself). */
function centralDirectoryCrcs(bytes: Uint8Array): Map<string, number> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const crcs = new Map<string, number>();
  let eocd = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 0xffff); i--) {
    if (view.getUint32(i, true) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error('npz: no end of central directory');
  const entries = view.getUint16(eocd + 10, true);
  let p = view.getUint32(eocd + 16, true);
  for (let e = 0; e < entries; e++) {
    if (p + 46 > bytes.length || view.getUint32(p, true) !== 0x02014b50) throw new Error('npz: corrupt central directory');
    const crc = view.getUint32(p + 16, true);
    const nameLen = view.getUint16(p + 28, true);
    const extraLen = view.getUint16(p + 30, true);
    const commentLen = view.getUint16(p + 32, true);
    crcs.set(Buffer.from(bytes.subarray(p + 46, p + 46 + nameLen)).toString('utf8'), crc);
    p += 46 + nameLen + extraLen + commentLen;
  }
  return crcs;
}
