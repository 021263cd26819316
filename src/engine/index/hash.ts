import { sha256OfRegularFile } from '../util/files';
import { MAX_IMAGE_FILE_BYTES } from '../util/limits';

/**
 * sha256 (hex) of an image file's bytes, streamed; the same hash the worker reports per image.
 * Only regular files up to the image size cap (a FIFO named x.png must not hang a run).
 */
export function sha256File(file: string, signal?: AbortSignal): Promise<string> {
  return sha256OfRegularFile(file, { maxBytes: MAX_IMAGE_FILE_BYTES, signal });
}
