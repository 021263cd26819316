// Test helpers for the index and search tests: temp folders under .cache/ and a counting fake
// ImageTextEmbedder whose vectors are meaningful (an "image" file holding the text "red cat"
// embeds like the text query "red cat").
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { EmbedImagesOptions, EmbedTextsOptions, ImageTextEmbedder } from '../../src/engine/api';
import type { ImageRequestItem, ImageResult, ModelInfo, TextEmbedding } from '../../src/engine/types';

export const TEST_ROOT = path.resolve(__dirname, '..', '..', '.cache', 'test-index');

export async function tempDir(name: string): Promise<string> {
  const dir = path.join(TEST_ROOT, `${name}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
  await fs.rm(dir, { recursive: true, force: true });
  await fs.mkdir(dir, { recursive: true });
  return dir;
}

export async function writeFiles(root: string, files: Record<string, string | Buffer>): Promise<void> {
  for (const [rel, content] of Object.entries(files)) {
    const file = path.join(root, rel);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, content);
  }
}

/** Deterministic unit vector for a word (pseudo-random directions are nearly orthogonal in 32-d). */
export function wordVector(word: string, dim: number): Float32Array {
  const v = new Float32Array(dim);
  let block = Buffer.alloc(0);
  for (let i = 0; i < dim; i++) {
    if (i % 8 === 0)
      block = createHash('sha256')
        .update(`${word}#${i / 8}`)
        .digest();
    v[i] = block.readInt32LE((i % 8) * 4) / 2 ** 31;
  }
  return normalize(v);
}

export function normalize(v: Float32Array): Float32Array {
  let s = 0;
  for (const x of v) s += x * x;
  const n = Math.sqrt(s) || 1;
  for (let i = 0; i < v.length; i++) v[i]! /= n;
  return v;
}

export function textVector(text: string, dim: number): Float32Array {
  const sum = new Float32Array(dim);
  for (const word of text.toLowerCase().split(/\s+/).filter(Boolean)) {
    const w = wordVector(word, dim);
    for (let i = 0; i < dim; i++) sum[i]! += w[i]!;
  }
  return normalize(sum);
}

export interface FakeOptions {
  dim?: number;
  fingerprint?: string;
  id?: string;
  /** Milliseconds per image, to give a test time to cancel or kill mid-run. */
  delayMs?: number;
}

/**
 * A stand-in for the Engine: reads each file, fails those whose content starts with "BROKEN",
 * embeds the rest like their text content, writes a thumbnail file when asked, and counts work.
 */
export class FakeEmbedder implements ImageTextEmbedder {
  readonly info: ModelInfo;
  private readonly delayMs: number;
  /** Every path sent for embedding, in order. */
  readonly embedded: string[] = [];
  readonly texts: string[] = [];

  constructor(options: FakeOptions = {}) {
    const dim = options.dim ?? 32;
    this.info = {
      id: options.id ?? 'fake',
      fingerprint: options.fingerprint ?? 'fake-fingerprint-1',
      dim,
      imageSize: 64,
      contextLength: 77,
      executionProvider: 'cpu',
      dynamicBatch: true,
    };
    this.delayMs = options.delayMs ?? 0;
  }

  async embedImages(items: ReadonlyArray<string | ImageRequestItem>, options: EmbedImagesOptions = {}): Promise<ImageResult[]> {
    const results: ImageResult[] = [];
    for (let i = 0; i < items.length; i++) {
      options.signal?.throwIfAborted();
      if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
      options.signal?.throwIfAborted();
      const item = items[i]!;
      const file = typeof item === 'string' ? item : item.path;
      this.embedded.push(file);
      let result: ImageResult;
      try {
        const bytes = await fs.readFile(file);
        const text = bytes.toString('utf8');
        if (text.startsWith('BROKEN')) throw new Error('cannot decode image');
        const sha256 = createHash('sha256').update(bytes).digest('hex');
        let thumbnail: string | undefined;
        if (options.thumbnails) {
          thumbnail = path.join(options.thumbnails.dir, `${sha256}-${options.thumbnails.size}.webp`);
          await fs.mkdir(options.thumbnails.dir, { recursive: true });
          await fs.writeFile(thumbnail, 'thumb');
        }
        result = { input: file, embedding: textVector(text, this.info.dim), sha256, width: bytes.length, height: 7, thumbnail };
      } catch (err) {
        result = { input: file, error: (err as Error).message };
      }
      results.push(result);
      options.onResult?.(result, i, { done: i + 1, total: items.length });
    }
    return results;
  }

  async embedTexts(texts: readonly string[], options: EmbedTextsOptions = {}): Promise<TextEmbedding[]> {
    options.signal?.throwIfAborted();
    this.texts.push(...texts);
    return texts.map((t) => ({ input: t, embedding: textVector(t, this.info.dim) }));
  }

  async dispose(): Promise<void> {}
}
