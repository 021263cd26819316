// Tagging throughput with embeddings already present (what a re-tag after a vocabulary change or a
// user confirmation costs). Synthetic vectors: random unit image embeddings and a random-direction
// text embedder, at the colour fixture's dimension (24) and at MobileCLIP's (512). Scoring cost
// does not depend on what the vectors mean, only on n, dim, the tag count and the few-shot cache.
//   node --import tsx test/tags/throughput.bench.ts [images=8000]
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { AutoTagger, TagEmbeddingCache, TagStore, loadTagVocabulary, type TagImageInput } from '../../src/engine/tags';
import type { ModelInfo, TextEmbedding } from '../../src/engine/types';
import { tempFolder } from './helpers';

function randomUnit(dim: number, seed: string): Float32Array {
  const v = new Float32Array(dim);
  let block = Buffer.alloc(0);
  for (let i = 0; i < dim; i++) {
    if (i % 8 === 0) block = createHash('sha256').update(`${seed}#${i}`).digest();
    v[i] = block.readInt32LE((i % 8) * 4) / 2 ** 31;
  }
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

async function bench(n: number, dim: number): Promise<void> {
  const info: ModelInfo = { id: 'synthetic', fingerprint: `synthetic-${dim}`, dim, imageSize: 64, contextLength: 77, executionProvider: 'cpu', dynamicBatch: true };
  const embedder = { info, embedTexts: async (texts: readonly string[]): Promise<TextEmbedding[]> => texts.map((t) => ({ input: t, embedding: randomUnit(dim, t) })) };
  const folder = await tempFolder('bench');
  const vocab = await loadTagVocabulary(folder); // the built-in vocabulary
  const images: TagImageInput[] = Array.from({ length: n }, (_, i) => ({
    path: `assets/img-${i}.png`,
    sha256: createHash('sha256').update(String(i)).digest('hex'),
    embedding: randomUnit(dim, `img${i}`),
  }));
  const store = await TagStore.load(folder);
  const cache = new TagEmbeddingCache();
  // CPU time of this process (less distorted than wall time on a shared, loaded machine) and wall time.
  const measure = async (fn: () => Promise<unknown>) => {
    const c = process.cpuUsage();
    const t = performance.now();
    await fn();
    const cpu = process.cpuUsage(c);
    return { wall: performance.now() - t, cpu: (cpu.user + cpu.system) / 1000 };
  };
  let tagger!: AutoTagger;
  const prepare = await measure(async () => {
    tagger = await AutoTagger.create({ embedder, vocab, store, cache });
  });
  const first = await measure(() => tagger.tagImages({ images, mode: 'all' })); // creates 8000 entries
  const zero = await measure(() => tagger.tagImages({ mode: 'all' }));
  // 100 user decisions spread over the tags: the few-shot cache scores every image against them.
  for (let i = 0; i < 100; i++) {
    const tag = vocab.tags[i % vocab.tags.length]!.name;
    if (i % 3) store.confirm(images[i * 37]!.path, tag);
    else store.reject(images[i * 37]!.path, tag);
  }
  const few = await measure(() => tagger.tagImages({ mode: 'all' }));
  const save = await measure(() => store.save());
  const noop = await measure(() => tagger.tagImages({}));
  const fmt = (m: { wall: number; cpu: number }) =>
    `${m.cpu.toFixed(0)} ms cpu / ${m.wall.toFixed(0)} ms wall (${Math.round(n / (m.cpu / 1000)).toLocaleString('en-US')} img/s by cpu)`;
  console.log(`n=${n} dim=${dim} tags=${tagger.prepared.names.length} prompts=${vocab.tags.reduce((s, x) => s + x.prompts.length, 0)}`);
  console.log(`  prepare vocabulary (fake text tower)  ${prepare.cpu.toFixed(0)} ms cpu`);
  console.log(`  first run (new entries)               ${fmt(first)}`);
  console.log(`  re-tag all, zero-shot                 ${fmt(zero)}`);
  console.log(`  re-tag all, 100 user decisions        ${fmt(few)}`);
  console.log(`  incremental, nothing changed          ${noop.cpu.toFixed(0)} ms cpu`);
  console.log(`  save tags file                        ${save.cpu.toFixed(0)} ms cpu`);
}

void (async () => {
  const n = Number(process.argv[2] ?? 8000);
  for (const dim of [24, 512]) await bench(n, dim);
})();
