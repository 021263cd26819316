// Test helpers for tagging: a fake text embedder over a small concept space, temp folders.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { ModelInfo, TextEmbedding } from '../../src/engine/types';
import type { TextEmbedder } from '../../src/engine/tags/embeddings';

export const CACHE_ROOT = path.resolve(__dirname, '../../.cache/test-tags');

export async function tempFolder(name: string): Promise<string> {
  await fs.mkdir(CACHE_ROOT, { recursive: true });
  return fs.mkdtemp(path.join(CACHE_ROOT, `${name}-`));
}

/**
 * A text embedder over orthogonal concept axes plus one shared "generic" axis: a text embeds as
 * the sum of the axes of the concept words it contains plus a small generic part (like a CLIP text
 * tower, every text shares some direction). Images are built directly with `image()`.
 */
export class ConceptEmbedder implements TextEmbedder {
  readonly info: ModelInfo;
  calls = 0;
  textsEmbedded = 0;
  constructor(
    readonly concepts: readonly string[],
    fingerprint = 'fake-model-1',
  ) {
    this.info = {
      id: 'fake',
      fingerprint,
      dim: concepts.length + 1,
      imageSize: 32,
      contextLength: 77,
      executionProvider: 'cpu',
      dynamicBatch: true,
    };
  }

  get dim(): number {
    return this.info.dim;
  }

  async embedTexts(texts: readonly string[]): Promise<TextEmbedding[]> {
    this.calls++;
    this.textsEmbedded += texts.length;
    return texts.map((input) => {
      const v = new Float32Array(this.dim);
      v[this.concepts.length] = 0.25;
      const words = input.toLowerCase().split(/[^a-z0-9]+/);
      this.concepts.forEach((c, i) => {
        if (words.includes(c)) v[i]! += 1;
      });
      return { input, embedding: unit(v) };
    });
  }

  /** An image embedding with the given weight on each concept plus the generic axis. */
  image(weights: Record<string, number>, generic = 0.25): Float32Array {
    const v = new Float32Array(this.dim);
    v[this.concepts.length] = generic;
    for (const [c, w] of Object.entries(weights)) {
      const i = this.concepts.indexOf(c);
      if (i < 0) throw new Error(`unknown concept ${c}`);
      v[i] = w;
    }
    return unit(v);
  }
}

export function unit(v: Float32Array): Float32Array {
  let n = 0;
  for (const x of v) n += x * x;
  n = Math.sqrt(n);
  return v.map((x) => x / n);
}

export const SHA = (n: number): string => n.toString(16).padStart(64, '0');
