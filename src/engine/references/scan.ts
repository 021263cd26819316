// The streaming reference scan (CLI, benchmarks, first run in the editor): walks a folder's text
// files with the index's scanner (same .gitignore and exclude rules), reads each one with the
// untrusted-file reader, and keeps only its image mentions. A few files are read at a time;
// binary and oversized files are skipped and reported, never fatal.
import * as path from 'node:path';
import { DEFAULT_EXCLUDE, DEFAULT_INCLUDE, scanFolder, type ScanOptions, type ScannedFile } from '../index/scan';
import { IN_REPOSITORY_DIR } from '../index/location';
import { readRegularFile } from '../util/files';
import { ReferenceIndex } from './references';
import { ImageSet } from './resolve';

/** Text files that reference assets: markup, styles, code, configs, docs. */
export const TEXT_EXTENSIONS = [
  'md',
  'markdown',
  'mdx',
  'rst',
  'adoc',
  'txt',
  'tex',
  'html',
  'htm',
  'xhtml',
  'xml',
  'svg',
  'vue',
  'svelte',
  'astro',
  'css',
  'scss',
  'sass',
  'less',
  'styl',
  'pcss',
  'js',
  'jsx',
  'mjs',
  'cjs',
  'ts',
  'tsx',
  'mts',
  'cts',
  'json',
  'jsonc',
  'json5',
  'webmanifest',
  'yml',
  'yaml',
  'toml',
  'ini',
  'plist',
  'php',
  'erb',
  'hbs',
  'handlebars',
  'ejs',
  'pug',
  'njk',
  'liquid',
  'twig',
  'jinja',
  'j2',
  'py',
  'rb',
  'go',
  'java',
  'kt',
  'swift',
  'dart',
  'rs',
  'cs',
  'c',
  'cc',
  'cpp',
  'h',
  'hpp',
  'm',
  'lua',
  'sh',
] as const;
export const DEFAULT_TEXT_INCLUDE = [`**/*.{${TEXT_EXTENSIONS.join(',')}}`];
/**
 * Our own files list every image by path and would make every image "used"; they are never
 * scanned, whatever the exclude settings say.
 */
export const OWN_FILES = ['**/.vscode/asset-tags.json', '**/.vscode/asset-tags.data.json', '**/.vscode/asset-duplicates.json', `**/${IN_REPOSITORY_DIR}/**`];
/** Larger text files are generated (bundles, data dumps), not hand-written references. */
export const DEFAULT_MAX_TEXT_BYTES = 4_000_000;
const BINARY_SNIFF_BYTES = 8192;
const DEFAULT_CONCURRENCY = 8;

export interface ReferenceScanOptions {
  /** Text files to read (default DEFAULT_TEXT_INCLUDE). */
  include?: readonly string[];
  /** Globs to leave out (default: the index's; OWN_FILES are always left out). */
  exclude?: readonly string[];
  respectGitignore?: boolean;
  maxFileBytes?: number;
  signal?: AbortSignal;
  onProgress?: (filesRead: number) => void;
}

export interface ReferenceScan {
  index: ReferenceIndex;
  /** Text files read. */
  filesRead: number;
  /** Files not read (binary, too large, unreadable), with the reason. */
  skipped: Array<{ path: string; reason: string }>;
}

/** The text of a file, or undefined when it looks binary (a NUL byte near the start). */
export async function readTextFile(file: string, maxBytes = DEFAULT_MAX_TEXT_BYTES): Promise<string | undefined> {
  const bytes = await readRegularFile(file, { maxBytes });
  if (bytes.subarray(0, BINARY_SNIFF_BYTES).includes(0)) return undefined;
  return bytes.toString('utf8');
}

/** The images of a folder (paths relative to it), found as the index finds them. */
export async function listImages(root: string, options: Omit<ScanOptions, 'onSkip'> = {}): Promise<ScannedFile[]> {
  const out: ScannedFile[] = [];
  for await (const f of scanFolder(root, { ...options, include: options.include ?? DEFAULT_INCLUDE })) out.push(f);
  return out;
}

/**
 * Read every text file under `root` and record which images it references. `images` are the
 * image paths relative to root (or a ReferenceIndex to fill).
 */
export async function scanReferences(root: string, images: Iterable<string> | ImageSet | ReferenceIndex, options: ReferenceScanOptions = {}): Promise<ReferenceScan> {
  const index = images instanceof ReferenceIndex ? images : new ReferenceIndex(images instanceof ImageSet ? images : new ImageSet(images));
  const maxBytes = options.maxFileBytes ?? DEFAULT_MAX_TEXT_BYTES;
  const skipped: ReferenceScan['skipped'] = [];
  let filesRead = 0;
  const readOne = async (rel: string): Promise<void> => {
    try {
      const text = await readTextFile(path.join(root, rel), maxBytes);
      if (text === undefined) skipped.push({ path: rel, reason: 'binary file' });
      else {
        index.updateFile(rel, text);
        filesRead++;
        if (filesRead % 256 === 0) options.onProgress?.(filesRead);
      }
    } catch (err) {
      skipped.push({ path: rel, reason: (err as Error).message });
    }
  };
  const inFlight = new Set<Promise<void>>();
  for await (const f of scanFolder(root, {
    include: options.include ?? DEFAULT_TEXT_INCLUDE,
    exclude: [...(options.exclude ?? DEFAULT_EXCLUDE), ...OWN_FILES],
    respectGitignore: options.respectGitignore,
    maxFileSizeBytes: maxBytes,
    signal: options.signal,
    onSkip: (rel, reason) => skipped.push({ path: rel, reason }),
  })) {
    const job = readOne(f.path).finally(() => inFlight.delete(job));
    inFlight.add(job);
    if (inFlight.size >= DEFAULT_CONCURRENCY) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  options.onProgress?.(filesRead);
  skipped.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { index, filesRead, skipped };
}
