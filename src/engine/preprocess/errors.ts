// Turns sharp/libvips failures into one-line messages a user can act on.
import * as path from 'node:path';

/** An error whose message is already fit to show as a per-file error. */
export class ImageDecodeError extends Error {
  override name = 'ImageDecodeError';
}

const FORMAT_NAMES: Record<string, string> = {
  jpeg: 'JPEG',
  png: 'PNG',
  webp: 'WebP',
  gif: 'GIF',
  tiff: 'TIFF',
  svg: 'SVG',
  heif: 'HEIF',
  avif: 'AVIF',
  jp2: 'JPEG 2000',
  jxl: 'JPEG XL',
  pdf: 'PDF',
  raw: 'raw',
  magick: 'image',
};

/** Display name of a sharp format id ("png" -> "PNG"). */
export function formatLabel(format: string | undefined): string {
  return format ? (FORMAT_NAMES[format] ?? format.toUpperCase()) : 'image';
}

/** Recognise a container from its first bytes (enough to name what a file really is). */
export function sniffFormat(bytes: Uint8Array): string | undefined {
  const b = bytes;
  const starts = (...sig: number[]) => sig.every((v, i) => b[i] === v);
  const ascii = (off: number, s: string) => [...s].every((c, i) => b[off + i] === c.charCodeAt(0));
  if (starts(0xff, 0xd8, 0xff)) return 'jpeg';
  if (starts(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return 'png';
  if (ascii(0, 'GIF8')) return 'gif';
  if (ascii(0, 'RIFF') && ascii(8, 'WEBP')) return 'webp';
  if (starts(0x49, 0x49, 0x2a, 0x00) || starts(0x4d, 0x4d, 0x00, 0x2a)) return 'tiff';
  if (ascii(4, 'ftyp')) return ascii(8, 'avif') || ascii(8, 'avis') ? 'avif' : 'heif';
  if (ascii(0, '%PDF')) return 'pdf';
  if (ascii(0, 'BM')) return 'bmp';
  const head = Buffer.from(b.subarray(0, Math.min(b.length, 1024)))
    .toString('utf8')
    .trimStart()
    .toLowerCase();
  if (head.startsWith('<svg') || (head.startsWith('<?xml') && head.includes('<svg'))) return 'svg';
  return undefined;
}

/** True when the first KiB decodes as text (printable UTF-8 with ordinary whitespace). */
export function looksLikeText(bytes: Uint8Array): boolean {
  const head = bytes.subarray(0, Math.min(bytes.length, 1024));
  if (head.length === 0) return false;
  let printable = 0;
  for (const c of head) {
    if (c === 0) return false;
    if (c === 9 || c === 10 || c === 13 || (c >= 32 && c !== 127)) printable++;
  }
  if (printable / head.length < 0.95) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(head.subarray(0, lastCompleteUtf8(head)));
    return true;
  } catch {
    return false;
  }
}

function lastCompleteUtf8(b: Uint8Array): number {
  // Do not count a multi-byte character cut at the 1 KiB boundary as invalid.
  let end = b.length;
  for (let i = 1; i <= 3 && end - i >= 0; i++) {
    const c = b[end - i];
    if ((c & 0xc0) === 0x80) continue;
    if (c >= 0xc0) end -= i;
    break;
  }
  return end;
}

/** Message for bytes sharp did not recognise as any image format. */
export function describeUnrecognised(file: string, bytes: Uint8Array): string {
  const ext = path.extname(file).toLowerCase() || '(no extension)';
  if (bytes.length === 0) return 'empty file (0 bytes)';
  if (looksLikeText(bytes)) return `not an image (text file named ${ext})`;
  const sniffed = sniffFormat(bytes);
  if (sniffed) return `unsupported or corrupt ${FORMAT_NAMES[sniffed] ?? sniffed} data in a file named ${ext}`;
  return `not an image (unrecognised data in a file named ${ext}, ${bytes.length} bytes)`;
}

/** Message for a failure while decoding a file sharp did recognise as `format`. */
export function describeDecodeFailure(format: string | undefined, err: unknown): string {
  const raw = (err instanceof Error ? err.message : String(err)).trim();
  const detail = cleanVipsMessage(raw);
  return `truncated or corrupt ${formatLabel(format)}: ${detail}`;
}

function cleanVipsMessage(msg: string): string {
  // libvips stacks several lines ("VipsJpeg: ...\nvips2png: ..."); the first says most.
  const first = (
    msg
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)[0] ?? msg
  ).replace(/^Input (buffer|file) has corrupt header:\s*/i, '');
  return first.replace(/^(Vips\w+|vips_\w+|\w+load(_\w+)?|libspng|gifload|tiffload|webpload|webp|glib):\s*/i, '') || first;
}

export function formatMegapixels(pixels: number): string {
  const mp = pixels / 1e6;
  if (mp < 0.1) return `${pixels.toLocaleString('en-US')} pixels`;
  return mp >= 10 ? `${Math.round(mp)} MP` : `${Number(mp.toFixed(1))} MP`;
}
