// Scoring and index-load timings at 10k / 100k images (a measurement script, not a test):
//   node --import tsx bench/search-scoring.ts [dim] [--scan]
// Vectors are random unit vectors; the numbers are about memory traffic and the JS loop, which do
// not depend on what the vectors mean. Timings are "min / median" of repeated runs: on a shared
// machine the minimum is the better estimate of the code's own cost. --scan also times a stat-only
// scan of 100k empty files (created once under .cache/bench-scan).
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ImageTextEmbedder } from '../src/engine/api';
import type { IndexEntry } from '../src/engine/index/format';
import { scanFolder } from '../src/engine/index/scan';
import { IndexStore, loadIndexSnapshot } from '../src/engine/index/store';
import { SearchEngine } from '../src/engine/search/search';
import { TopK } from '../src/engine/search/topk';
import { dotRows } from '../src/engine/vectors';
import { VectorTable } from '../src/engine/search/vectors';

const dim = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 512);

function randomUnit(n: number, seed: number): Float32Array {
  const v = new Float32Array(n * dim);
  let s = seed >>> 0;
  for (let i = 0; i < v.length; i++) {
    s = (s * 1664525 + 1013904223) >>> 0;
    v[i] = s / 2 ** 32 - 0.5;
  }
  for (let r = 0; r < n; r++) {
    let sum = 0;
    for (let j = 0; j < dim; j++) sum += v[r * dim + j]! ** 2;
    const norm = Math.sqrt(sum);
    for (let j = 0; j < dim; j++) v[r * dim + j]! /= norm;
  }
  return v;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function fmt(ts: number[], digits = 1): string {
  return `${Math.min(...ts).toFixed(digits)} / ${median(ts).toFixed(digits)} ms`;
}

function time(fn: () => void, runs = 15): number[] {
  fn(); // warm up (JIT)
  const ts: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    fn();
    ts.push(performance.now() - t);
  }
  return ts;
}

async function timeAsync(fn: () => Promise<unknown>, runs = 5): Promise<number[]> {
  await fn();
  const ts: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    ts.push(performance.now() - t);
  }
  return ts;
}

async function main(): Promise<void> {
  console.log(
    `dim ${dim}, node ${process.version}, load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}; min / median of repeated runs`,
  );
  const query = randomUnit(1, 99);
  for (const n of [10_000, 100_000]) {
    const vectors = randomUnit(n, n);
    const scores = new Float32Array(n);
    const dot = time(() => dotRows(vectors, dim, query, scores));
    const select = time(() => {
      const top = new TopK(20);
      for (let i = 0; i < n; i++) top.push(i, scores[i]!);
      top.sorted();
    });
    const fullSort = time(
      () =>
        Array.from(scores, (s, i) => ({ s, i }))
          .sort((a, b) => b.s - a.s)
          .slice(0, 20),
      5,
    );

    const entries: IndexEntry[] = [];
    for (let i = 0; i < n; i++) {
      entries.push({
        path: `folder${i % 100}/image-${String(i).padStart(6, '0')}.png`,
        size: 1000 + i,
        mtimeMs: 1.7e12 + i,
        sha256: i.toString(16).padStart(64, '0'),
        row: i,
        width: 640,
        height: 480,
      });
    }
    entries.sort((a, b) => (a.path < b.path ? -1 : 1));
    const snapshot = { model: { id: 'bench', fingerprint: 'bench', dim }, preprocessing: {}, dim, vectors: VectorTable.fromFloat32(vectors, dim), entries };
    const embedder: ImageTextEmbedder = {
      info: { id: 'bench', fingerprint: 'bench', dim, imageSize: 0, contextLength: 77, executionProvider: 'none', dynamicBatch: true },
      embedImages: async () => [],
      embedTexts: async (texts) => texts.map((t) => ({ input: t, embedding: t === 'anything' ? query : randomUnit(1, t.length) })),
      dispose: async () => undefined,
    };
    const engine = new SearchEngine(snapshot, '/bench', embedder);
    const search = await timeAsync(() => engine.search('anything', { topK: 20, threshold: 0 }), 9);
    const negative = await timeAsync(() => engine.search('anything -other type:png', { topK: 20, threshold: 0 }), 9);
    // Hybrid ranking: every path contains "image", so every entry gets a name lift. The first query
    // also splits every path into words (kept for the index's lifetime).
    const fresh = new SearchEngine(snapshot, '/bench', embedder);
    await fresh.search('anything image', { topK: 20, threshold: 0 });
    const tFirst = performance.now();
    await fresh.search('anything image', { topK: 20, threshold: 0, ranking: 'hybrid' });
    const hybridFirst = performance.now() - tFirst;
    const hybrid = await timeAsync(() => engine.search('anything image', { topK: 20, threshold: 0, ranking: 'hybrid' }), 9);

    // Persisted index: write once, then time loading (manifest parse + checksum + decode).
    const dir = path.resolve(__dirname, '..', '.cache', 'bench-index', String(n));
    const loads: string[] = [];
    for (const dtype of ['float32', 'float16', 'int8'] as const) {
      await fs.rm(dir, { recursive: true, force: true });
      const store = IndexStore.empty(dir, { model: snapshot.model, preprocessing: {} }, { dtype });
      for (let i = 0; i < n; i++) store.addVector(vectors.subarray(i * dim, (i + 1) * dim));
      for (const e of entries) store.setEntry(e);
      const tWrite = performance.now();
      await store.flush();
      const write = performance.now() - tWrite;
      for (let i = 0; i < 256; i++) store.setEntry({ ...entries[i]!, mtimeMs: entries[i]!.mtimeMs + 1 });
      const tAppend = performance.now();
      await store.flush();
      const checkpoint = performance.now() - tAppend;
      const load = await timeAsync(() => loadIndexSnapshot(dir), 3);
      loads.push(`${dtype}: full write ${write.toFixed(0)} ms, checkpoint of 256 changes ${checkpoint.toFixed(0)} ms, load ${fmt(load, 0)}`);
    }
    await fs.rm(dir, { recursive: true, force: true });

    console.log(`\n${n.toLocaleString('en')} vectors`);
    console.log(`  dot products        ${fmt(dot)}`);
    console.log(`  top-20 selection    ${fmt(select, 2)}   (full sort instead: ${fmt(fullSort)})`);
    console.log(`  search() end to end ${fmt(search)}   (with a negative term + type filter: ${fmt(negative)})`);
    console.log(`  hybrid ranking      ${fmt(hybrid)}   (first query, splitting every path: ${hybridFirst.toFixed(1)} ms)`);
    for (const l of loads) console.log(`  index ${l}`);
  }
}

async function scanBench(): Promise<void> {
  const root = path.resolve(__dirname, '..', '.cache', 'bench-scan');
  const n = 100_000;
  if (!(await fs.stat(path.join(root, 'done')).catch(() => undefined))) {
    for (let d = 0; d < 100; d++) {
      await fs.mkdir(path.join(root, `d${d}`, 'sub'), { recursive: true });
      await Promise.all(Array.from({ length: n / 100 }, (_, i) => fs.writeFile(path.join(root, `d${d}`, i % 2 ? 'sub' : '', `img${i}.png`), '')));
    }
    await fs.writeFile(path.join(root, '.gitignore'), 'd5/\n*.tmp\n');
    await fs.writeFile(path.join(root, 'done'), '');
  }
  const ts = await timeAsync(async () => {
    let count = 0;
    for await (const _file of scanFolder(root)) count++;
    return count;
  }, 3);
  console.log(`\nscan of ${n.toLocaleString('en')} files (stat only, .gitignore on): ${fmt(ts, 0)}`);
}

void main().then(() => (process.argv.includes('--scan') ? scanBench() : undefined));
