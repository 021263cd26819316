// The unused-asset scan of the generated 10,000-file repository (bench/lib/repo.ts), as
// `mobileclip-assets unused` runs it: list the images, stream through the text files, resolve.
// Baseline, in this process and alternating with it: the same walk reading the same text files
// (same reader, same concurrency) without looking at their content — the I/O floor.
import * as path from 'node:path';
import { DEFAULT_EXCLUDE, scanFolder } from '../../src/engine/index/scan';
import { DEFAULT_MAX_TEXT_BYTES, DEFAULT_TEXT_INCLUDE, OWN_FILES, listImages, scanReferences } from '../../src/engine/references/scan';
import { readRegularFile } from '../../src/engine/util/files';
import { progress, taskMain } from '../lib/child';
import { procMemory } from '../lib/util';

export interface UnusedArgs {
  root: string;
  runs: number;
  /** The images nothing references, by construction. */
  expectedUnused: string[];
}

export interface UnusedResult {
  /** Seconds per full run (list images + scan text + unused set). */
  scan: number[];
  /** Seconds per read-only pass over the same text files. */
  read: number[];
  images: number;
  filesRead: number;
  bytesRead: number;
  skipped: number;
  unused: number;
  /** The unused set equals the generator's. */
  correct: boolean;
  hostPeakRss: number;
}

async function readAll(root: string): Promise<{ files: number; bytes: number }> {
  let files = 0;
  let bytes = 0;
  const inFlight = new Set<Promise<void>>();
  for await (const f of scanFolder(root, { include: DEFAULT_TEXT_INCLUDE, exclude: [...DEFAULT_EXCLUDE, ...OWN_FILES], maxFileSizeBytes: DEFAULT_MAX_TEXT_BYTES })) {
    const job = readRegularFile(path.join(root, f.path), { maxBytes: DEFAULT_MAX_TEXT_BYTES })
      .then((b) => {
        files++;
        bytes += b.length;
      })
      .finally(() => inFlight.delete(job));
    inFlight.add(job);
    if (inFlight.size >= 8) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  return { files, bytes };
}

taskMain<UnusedArgs, UnusedResult>(async (args) => {
  const scan: number[] = [];
  const read: number[] = [];
  let last: { images: number; filesRead: number; skipped: number; unused: string[] } | undefined;
  let bytesRead = 0;
  await readAll(args.root); // warm the page cache for both contenders
  for (let i = 0; i < args.runs; i++) {
    const runScan = async () => {
      const t0 = performance.now();
      const images = await listImages(args.root);
      const result = await scanReferences(
        args.root,
        images.map((f) => f.path),
      );
      const unused = result.index.unused();
      scan.push((performance.now() - t0) / 1000);
      last = { images: images.length, filesRead: result.filesRead, skipped: result.skipped.length, unused };
    };
    const runRead = async () => {
      const t0 = performance.now();
      bytesRead = (await readAll(args.root)).bytes;
      read.push((performance.now() - t0) / 1000);
    };
    // Alternate the order so a load trend on the machine does not favour one.
    if (i % 2 === 0) {
      await runScan();
      await runRead();
    } else {
      await runRead();
      await runScan();
    }
    progress(`unused: scan ${scan[i]!.toFixed(2)} s, read-only ${read[i]!.toFixed(2)} s, ${last!.unused.length} unused of ${last!.images}`);
  }
  const expected = [...args.expectedUnused].sort();
  return {
    scan,
    read,
    images: last!.images,
    filesRead: last!.filesRead,
    bytesRead,
    skipped: last!.skipped,
    unused: last!.unused.length,
    correct: JSON.stringify(last!.unused) === JSON.stringify(expected),
    hostPeakRss: procMemory(process.pid)?.peak ?? NaN,
  };
});
