// Webdataset-style tar members, written with tar-stream. Headers are fixed (mode 0644,
// uid/gid 0, empty user/group names, mtime 0) so identical content gives identical bytes.
// A sample is packed on its own, without the end-of-archive blocks, so shards can be built
// by appending samples and closed once with `END_OF_ARCHIVE`.
import * as tar from 'tar-stream';
import { openRegularFile } from '../util/files';

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
    pack.on('data', (chunk) => {
      chunks.push(chunk as Buffer);
    });
    pack.on('end', () => resolve());
    pack.on('error', reject);
  });
  for (const m of members) {
    pack.entry(
      {
        name: m.name,
        size: m.data.byteLength,
        mode: 0o644,
        uid: 0,
        gid: 0,
        uname: '',
        gname: '',
        mtime: FIXED_MTIME,
        type: 'file',
      },
      Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength),
    );
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

/** Shards can be large (images inside); anything past this is refused rather than read. */
export const MAX_SHARD_BYTES = 64 * 1024 ** 3;

/**
 * Every member of a tar file, in archive order, streamed (one member in memory at a time). Only a
 * regular file is opened (a shard named by a dataset may be a symlink to a device). Throws on
 * corrupt headers or truncation.
 */
export async function* readTarEntries(file: string): AsyncGenerator<ReadMember> {
  const { handle } = await openRegularFile(file, { maxBytes: MAX_SHARD_BYTES });
  const extract = tar.extract();
  const source = handle.createReadStream();
  source.on('error', (err) => extract.destroy(err));
  source.pipe(extract as unknown as NodeJS.WritableStream);
  try {
    for await (const entry of extract) {
      const chunks: Buffer[] = [];
      for await (const chunk of entry) chunks.push(chunk as Buffer);
      yield { name: entry.header.name, type: entry.header.type, data: Buffer.concat(chunks) };
    }
  } finally {
    source.destroy();
    await handle.close().catch(() => undefined);
  }
}

/** Webdataset's base_plus_ext: key = path up to the first dot of the file name, extension = the rest. */
export function splitMemberName(name: string): [string, string] | undefined {
  const m = /^((?:.*\/|)[^.]+)[.]([^/]*)$/.exec(name);
  return m ? [m[1]!, m[2]!] : undefined;
}

export interface TarSample {
  key: string;
  /** Lower-cased extension -> bytes. */
  members: Map<string, Buffer>;
  /** Entries of this sample that are not regular files, or that webdataset would skip. */
  skipped: string[];
}

/**
 * Samples of a shard grouped as open_clip's group_by_keys_nothrow does it: consecutive members
 * with the same key form a sample; a repeated extension starts a new one.
 */
export async function* readTarSamples(file: string): AsyncGenerator<TarSample> {
  let current: TarSample | undefined;
  for await (const m of readTarEntries(file)) {
    if (m.type !== 'file') {
      if (current) current.skipped.push(`${m.name} (${m.type})`);
      continue;
    }
    const split = splitMemberName(m.name);
    if (!split) {
      if (current) current.skipped.push(m.name);
      continue;
    }
    const [key, rawExt] = split;
    const ext = rawExt.toLowerCase();
    if (!current || current.key !== key || current.members.has(ext)) {
      if (current) yield current;
      current = { key, members: new Map(), skipped: [] };
    }
    current.members.set(ext, m.data);
  }
  if (current) yield current;
}
