// An independent reader for the dataset files, written for the tests from the format specs
// (POSIX ustar headers, PKWARE zip local file headers, NumPy .npy v1.0) without any product
// code or libraries, so the shards are checked by something that did not write them.
import { readFileSync } from 'node:fs';
import * as zlib from 'node:zlib';

export interface TarEntry {
  name: string;
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  type: string;
  data: Buffer;
}

function octal(buf: Buffer, start: number, len: number): number {
  const text = buf
    .subarray(start, start + len)
    .toString('latin1')
    .replace(/\0.*$/s, '')
    .trim();
  return text === '' ? 0 : parseInt(text, 8);
}

function cstring(buf: Buffer, start: number, len: number): string {
  const raw = buf.subarray(start, start + len);
  const end = raw.indexOf(0);
  return raw.subarray(0, end < 0 ? len : end).toString('utf8');
}

/** Every entry of a tar archive; asserts checksums, framing and the end-of-archive blocks. */
export function readTar(file: string): TarEntry[] {
  const buf = readFileSync(file);
  if (buf.length % 512 !== 0) throw new Error(`${file}: size ${buf.length} is not a multiple of 512`);
  const entries: TarEntry[] = [];
  let off = 0;
  for (;;) {
    if (off + 512 > buf.length) throw new Error(`${file}: no end-of-archive marker`);
    const header = buf.subarray(off, off + 512);
    if (header.every((b) => b === 0)) {
      const next = buf.subarray(off + 512, off + 1024);
      if (next.length !== 512 || !next.every((b) => b === 0)) throw new Error(`${file}: single zero block at ${off}`);
      if (!buf.subarray(off + 1024).every((b) => b === 0)) throw new Error(`${file}: data after the end-of-archive marker`);
      return entries;
    }
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : header[i]!;
    if (sum !== octal(header, 148, 8)) throw new Error(`${file}: bad header checksum at ${off}`);
    if (header.subarray(257, 262).toString('latin1') !== 'ustar') throw new Error(`${file}: not a ustar header at ${off}`);
    const prefix = cstring(header, 345, 155);
    const name = (prefix ? `${prefix}/` : '') + cstring(header, 0, 100);
    const size = octal(header, 124, 12);
    const typeflag = String.fromCharCode(header[156]!);
    const dataStart = off + 512;
    if (dataStart + size > buf.length) throw new Error(`${file}: entry ${name} truncated`);
    entries.push({
      name,
      mode: octal(header, 100, 8),
      uid: octal(header, 108, 8),
      gid: octal(header, 116, 8),
      mtime: octal(header, 136, 12),
      type: typeflag === '0' || typeflag === '\0' ? 'file' : typeflag,
      data: Buffer.from(buf.subarray(dataStart, dataStart + size)),
    });
    off = dataStart + Math.ceil(size / 512) * 512;
  }
}

export interface NpyArray {
  descr: string;
  fortranOrder: boolean;
  shape: number[];
  data: Float32Array;
}

/** A .npy v1.0 file holding little-endian float32. */
export function readNpy(buf: Buffer): NpyArray {
  if (buf[0] !== 0x93 || buf.subarray(1, 6).toString('latin1') !== 'NUMPY') throw new Error('npy: bad magic');
  if (buf[6] !== 1 || buf[7] !== 0) throw new Error(`npy: version ${buf[6]}.${buf[7]}, expected 1.0`);
  const hlen = buf.readUInt16LE(8);
  const header = buf.subarray(10, 10 + hlen).toString('latin1');
  if ((10 + hlen) % 64 !== 0) throw new Error('npy: data not 64-byte aligned');
  if (!header.endsWith('\n')) throw new Error('npy: header does not end with a newline');
  // The header is a Python dict literal; turn it into JSON to read it.
  const json = header
    .trim()
    .replace(/'/g, '"')
    .replace(/\bFalse\b/g, 'false')
    .replace(/\bTrue\b/g, 'true')
    .replace(/\(([^)]*)\)/g, (_, inner: string) => `[${inner.replace(/,\s*$/, '')}]`)
    .replace(/,\s*}/, '}');
  const dict = JSON.parse(json) as { descr: string; fortran_order: boolean; shape: number[] };
  const count = dict.shape.reduce((a, b) => a * b, 1);
  const body = buf.subarray(10 + hlen);
  if (body.length !== count * 4) throw new Error(`npy: ${body.length} data bytes for ${count} float32`);
  const data = new Float32Array(count);
  for (let i = 0; i < count; i++) data[i] = body.readFloatLE(i * 4);
  return { descr: dict.descr, fortranOrder: dict.fortran_order, shape: dict.shape, data };
}

/** Members of a zip read through its local file headers (stored entries only, as numpy.savez writes). */
export function readNpz(buf: Buffer): Map<string, NpyArray> {
  const out = new Map<string, NpyArray>();
  let off = 0;
  while (buf.readUInt32LE(off) === 0x04034b50) {
    const flags = buf.readUInt16LE(off + 6);
    const method = buf.readUInt16LE(off + 8);
    const crc = buf.readUInt32LE(off + 14);
    const compSize = buf.readUInt32LE(off + 18);
    const size = buf.readUInt32LE(off + 22);
    const nameLen = buf.readUInt16LE(off + 26);
    const extraLen = buf.readUInt16LE(off + 28);
    if (flags & 0x08) throw new Error('zip: data descriptor entries not expected');
    if (method !== 0 || compSize !== size) throw new Error(`zip: method ${method}, expected stored`);
    const name = buf.subarray(off + 30, off + 30 + nameLen).toString('utf8');
    const start = off + 30 + nameLen + extraLen;
    const data = buf.subarray(start, start + size);
    if (zlib.crc32(data) >>> 0 !== crc) throw new Error(`zip: CRC mismatch in ${name}`);
    if (!name.endsWith('.npy')) throw new Error(`zip: member ${name} is not .npy`);
    out.set(name.slice(0, -4), readNpy(Buffer.from(data)));
    off = start + size;
  }
  if (buf.readUInt32LE(off) !== 0x02014b50) throw new Error('zip: expected the central directory after the members');
  return out;
}

export interface PlainSample {
  key: string;
  url: string;
  /** The `.txt` caption. */
  caption: string;
  /** The image member: its extension and bytes. */
  image: { ext: string; data: Buffer };
  json: Record<string, unknown>;
  syn: { syn_text: string[] };
  paug: { param_aug: unknown[][] };
  npz: Map<string, NpyArray>;
  /** Every entry's header fields, for determinism checks. */
  headers: Array<Omit<TarEntry, 'data'>>;
}

/** Groups a shard's entries into webdataset samples (key = name up to the first dot). */
export function readShardSamples(file: string): PlainSample[] {
  const groups = new Map<string, Map<string, TarEntry>>();
  for (const e of readTar(file)) {
    const dot = e.name.indexOf('.');
    const key = e.name.slice(0, dot);
    if (!groups.has(key)) groups.set(key, new Map());
    groups.get(key)!.set(e.name.slice(dot + 1), e);
  }
  return [...groups].map(([key, m]) => {
    const text = (ext: string) => {
      const e = m.get(ext);
      if (!e) throw new Error(`${file}: sample ${key} has no ${ext}`);
      return e.data.toString('utf8');
    };
    const imageExt = ['png', 'jpg'].find((e) => m.has(e));
    if (!imageExt) throw new Error(`${file}: sample ${key} has no png or jpg`);
    return {
      key,
      url: text('url.txt'),
      caption: text('txt'),
      image: { ext: imageExt, data: m.get(imageExt)!.data },
      json: JSON.parse(text('json')) as Record<string, unknown>,
      syn: JSON.parse(text('syn.json')) as PlainSample['syn'],
      paug: JSON.parse(text('paug.json')) as PlainSample['paug'],
      npz: readNpz(m.get('npz')!.data),
      headers: [...m.values()].map(({ data: _data, ...h }) => h),
    };
  });
}
