import { createHash } from 'node:crypto';
import { constants, promises as fs } from 'node:fs';
import { pipeline } from 'node:stream/promises';

/**
 * sha256 (hex) of a file's bytes, streamed (a small fraction of what a decode + inference costs);
 * the same hash the worker reports per image. Only regular files: the file is opened non-blocking
 * and checked through its handle, so a FIFO named like an image cannot hang a run.
 */
export async function sha256File(file: string, signal?: AbortSignal): Promise<string> {
  const handle = await fs.open(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  try {
    if (!(await handle.stat()).isFile()) throw new Error('not a regular file');
    const hash = createHash('sha256');
    await pipeline(handle.createReadStream({ autoClose: false, highWaterMark: 256 * 1024 }), hash, { signal });
    return hash.digest('hex');
  } finally {
    await handle.close().catch(() => undefined);
  }
}
