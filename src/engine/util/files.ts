// The one way the engine reads a file named by someone else (a workspace, a dataset, an index):
// only regular files, never more than a cap. A path like `/dev/zero`, a FIFO named `x.png` or a
// directory must end as a clear per-file error, not as an endless read or a hang.
import { constants, promises as fs } from 'node:fs';

export class UnreadableFileError extends Error {
  constructor(
    readonly file: string,
    readonly reason: 'missing' | 'not-regular' | 'too-large' | 'denied' | 'io',
    message: string,
  ) {
    super(message);
    this.name = 'UnreadableFileError';
  }
}

export interface ReadRegularFileOptions {
  /** Refuse files larger than this (bytes). */
  maxBytes: number;
}

/**
 * Reads a whole regular file, refusing anything else. The file is opened non-blocking (a FIFO
 * does not block the open) and checked through its handle, so a swap between check and read
 * cannot slip a device in; a file that grows past the cap while being read is refused too.
 */
export async function readRegularFile(file: string, opts: ReadRegularFileOptions): Promise<Buffer> {
  const { handle, size } = await openRegularFile(file, opts);
  try {
    // Read one byte past the stated size: a file that grew since fstat is noticed, not truncated.
    const buf = Buffer.allocUnsafe(size + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buf, length, buf.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > size) throw tooLarge(file, length, opts.maxBytes, 'grew while being read');
    }
    return buf.subarray(0, length);
  } catch (err) {
    if (err instanceof UnreadableFileError) throw err;
    throw new UnreadableFileError(file, 'io', `cannot read file: ${(err as Error).message}`);
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/**
 * Opens a regular file for reading after the same checks as readRegularFile (for readers that
 * stream a large file instead of holding it whole). The caller closes the handle; `size` is the
 * size at open time, and a reader must not go past it.
 */
export async function openRegularFile(file: string, opts: ReadRegularFileOptions): Promise<{ handle: fs.FileHandle; size: number }> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (err) {
    throw describeOpenError(file, err as NodeJS.ErrnoException);
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new UnreadableFileError(file, 'not-regular', `not a regular file (${kindOf(stat)})`);
    if (stat.size > opts.maxBytes) throw tooLarge(file, stat.size, opts.maxBytes);
    return { handle, size: stat.size };
  } catch (err) {
    await handle.close().catch(() => undefined);
    if (err instanceof UnreadableFileError) throw err;
    throw new UnreadableFileError(file, 'io', `cannot read file: ${(err as Error).message}`);
  }
}

/** UTF-8 text of a regular file (see readRegularFile). */
export async function readRegularTextFile(file: string, opts: ReadRegularFileOptions): Promise<string> {
  return (await readRegularFile(file, opts)).toString('utf8');
}

function describeOpenError(file: string, err: NodeJS.ErrnoException): UnreadableFileError {
  switch (err.code) {
    case 'ENOENT':
      return new UnreadableFileError(file, 'missing', 'file not found');
    case 'EISDIR':
      return new UnreadableFileError(file, 'not-regular', 'is a directory, not a file');
    case 'EACCES':
    case 'EPERM':
      return new UnreadableFileError(file, 'denied', 'permission denied');
    case 'ENXIO': // a FIFO with no writer, opened non-blocking for reading on some systems
      return new UnreadableFileError(file, 'not-regular', 'not a regular file (FIFO or socket)');
    default:
      return new UnreadableFileError(file, 'io', `cannot open file: ${err.message}`);
  }
}

function tooLarge(file: string, size: number, max: number, why = 'larger than the limit'): UnreadableFileError {
  return new UnreadableFileError(file, 'too-large', `file ${why}: ${size} bytes > ${max} bytes`);
}

function kindOf(stat: { isDirectory(): boolean; isFIFO(): boolean; isSocket(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean }): string {
  if (stat.isDirectory()) return 'a directory';
  if (stat.isFIFO()) return 'a FIFO';
  if (stat.isSocket()) return 'a socket';
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return 'a device';
  return 'not a file';
}
