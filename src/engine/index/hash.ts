import { createHash } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { openRegularFile } from '../util/files';
import { MAX_IMAGE_FILE_BYTES } from '../util/limits';

/** Files up to this size are read in one call (a stream costs ~1 ms a file in setup alone). */
const WHOLE_READ_BYTES = 4 * 1024 * 1024;

/**
 * sha256 (hex) of an image file's bytes (a small fraction of what a decode + inference costs); the
 * same hash the worker reports per image. Only regular files up to the image size cap, opened
 * through util/files (a FIFO named x.png must not hang a run). Large files are streamed, never
 * held whole.
 */
export async function sha256File(file: string, signal?: AbortSignal): Promise<string> {
  const { handle, stat } = await openRegularFile(file, { maxBytes: MAX_IMAGE_FILE_BYTES });
  try {
    const hash = createHash('sha256');
    if (stat.size <= WHOLE_READ_BYTES) {
      // One more byte than stated, so a file that grew is hashed whole, not cut at its old size.
      const buf = Buffer.allocUnsafe(stat.size + 1);
      let length = 0;
      for (;;) {
        signal?.throwIfAborted();
        const { bytesRead } = await handle.read(buf, 0, buf.length, length);
        if (bytesRead === 0) break;
        hash.update(buf.subarray(0, bytesRead));
        length += bytesRead;
      }
      return hash.digest('hex');
    }
    await pipeline(handle.createReadStream({ autoClose: false, start: 0, highWaterMark: 1024 * 1024 }), hash, { signal });
    return hash.digest('hex');
  } finally {
    await handle.close().catch(() => undefined);
  }
}
