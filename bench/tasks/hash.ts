// What a content hash costs next to decoding and embedding: the indexer's streaming sha256
// (sha256File, the one the indexer runs, four at a time like it) over the same files, from the page cache.
import { promises as fs } from 'node:fs';
import { sha256File } from '../../src/engine/index/hash';
import { taskMain } from '../lib/child';

export interface HashArgs {
  files: string[];
  runs: number;
}

export interface HashResult {
  files: number;
  bytes: number;
  /** Milliseconds for all files, per run. */
  ms: number[];
}

taskMain<HashArgs, HashResult>(async (args) => {
  let bytes = 0;
  for (const f of args.files) bytes += (await fs.stat(f)).size;
  const once = async () => {
    let next = 0;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < args.files.length) await sha256File(args.files[next++]!);
      }),
    );
  };
  await once(); // warm the page cache, as the indexer finds files after a scan
  const ms: number[] = [];
  for (let i = 0; i < args.runs; i++) {
    const t = performance.now();
    await once();
    ms.push(performance.now() - t);
  }
  return { files: args.files.length, bytes, ms };
});
