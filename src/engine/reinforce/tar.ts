// Webdataset-style tar members, written with tar-stream. Headers are fixed (mode 0644,
// uid/gid 0, empty user/group names, mtime 0) so identical content gives identical bytes.
// A sample is packed on its own, without the end-of-archive blocks, so shards can be built
// by appending samples and closed once with `END_OF_ARCHIVE`.
import { createReadStream } from 'node:fs';
import * as tar from 'tar-stream';

export const TAR_BLOCK = 512;
/** Two zero blocks terminate a tar archive. */
export const END_OF_ARCHIVE = new Uint8Array(2 * TAR_BLOCK);
const FIXED_MTIME = new Date(0);

export interface TarMember {
  name: string;
  data: Uint8Array;
}

/** Tar bytes of `members` (headers + padded data), without the end-of-archive marker. */
export async function packMembers(members: readonly TarMember[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const finished = new Promise<void>((resolve, reject) => {
    pack.on('data', (chunk) => { chunks.push(chunk as Buffer); });
    pack.on('end', () => resolve());
    pack.on('error', reject);
  });
  for (const m of members) {
    pack.entry({
      name: m.name, size: m.data.byteLength, mode: 0o644, uid: 0, gid: 0, uname: '', gname: '',
      mtime: FIXED_MTIME, type: 'file',
    }, Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength));
  }
  pack.finalize();
  await finished;
  const all = Buffer.concat(chunks);
  return all.subarray(0, all.length - END_OF_ARCHIVE.length);
}

export interface ReadMember {
  name: string;
  type: string;
  data: Buffer;
}

/** Every member of a tar file, in archive order. Throws on corrupt headers or truncation. */
export async function readTarFile(file: string): Promise<ReadMember[]> {
  const extract = tar.extract();
  const source = createReadStream(file);
  source.on('error', (err) => extract.destroy(err));
  source.pipe(extract as unknown as NodeJS.WritableStream);
  const members: ReadMember[] = [];
  for await (const entry of extract) {
    const chunks: Buffer[] = [];
    for await (const chunk of entry) chunks.push(chunk as Buffer);
    members.push({ name: entry.header.name, type: entry.header.type, data: Buffer.concat(chunks) });
  }
  return members;
}

/** Splits a webdataset member name into sample key and extension ("abc.paug.json" -> ["abc", "paug.json"]). */
export function splitMemberName(name: string): [string, string] | undefined {
  const slash = name.lastIndexOf('/');
  const dot = name.indexOf('.', slash + 1);
  if (dot <= slash + 1 || dot === name.length - 1) return undefined;
  return [name.slice(0, dot), name.slice(dot + 1)];
}
