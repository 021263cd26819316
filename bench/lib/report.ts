// bench/RESULTS.md and the charts, from bench/results.json (the latest result of every section).
import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { BigImagesSection, DedupSection, HygieneSection, IndexingSection, MemorySection, ModelSection, QuerySection, ReindexSection, Results, RunMeta } from '../run';
import type { QueryResult } from '../tasks/query';
import { lineChart } from './chart';
import { PROJECT_ROOT, fmt, fmtSpread, mib, spread, type Spread } from './util';

const TARGETS = {
  ofBound: 0.9,
  vsPeer: 2.5,
  scoringVsBandwidth: 1.5,
  textQueryMs: 50,
  reindexSeconds: 1,
  eldP99Ms: 20,
  dedupRatio: 1.2,
  workerPeakMiB: 400,
  /** Idle host RSS at 100k with the default precision / with float32 (today's). */
  idleOfFloat32: 0.6,
  recall: 0.99,
};

/**
 * Idle host RSS at 100k before the columnar entry table (one JS object per file), measured by
 * `npm run bench -- --only memory` on 2026-12-03 (load ~10): the issue's "today", which the
 * target is a share of. The same command now measures float32 without those objects too.
 */
const IDLE_BEFORE_COLUMNS_MIB = { float32: 324, float16: 225, int8: 182 } as const;

/** Query results are per size and vector precision (results from before the precisions: float32). */
const dtypeOf = (s: QueryResult) => s.dtype ?? 'float32';

function pct(v: number): string {
  return Number.isFinite(v) ? `${(v * 100).toFixed(0)} %` : '–';
}
function pctSpread(s: Spread | undefined): string {
  if (!s?.n) return '–';
  return s.n === 1 ? pct(s.median) : `${pct(s.median)} (${pct(s.min)}–${pct(s.max)})`;
}
function met(ok: boolean | undefined): string {
  return ok === undefined ? 'not measured' : ok ? '**met**' : '**missed**';
}
function machineLine(m: RunMeta): string {
  const x = m.machine;
  return `${x.cpu}, ${x.cores} cores, ${x.memory}, ${x.os}; Node ${x.node}, onnxruntime-node ${x.onnxruntime}, sharp ${x.sharp} (libvips ${x.libvips}), @huggingface/transformers ${x.transformers}`;
}
function runLine(m: RunMeta): string {
  return `${m.date.slice(0, 16).replace('T', ' ')} UTC, \`${m.command}\`, ${fmt(m.seconds / 60, 1)} min; load average ${m.machine.loadAverage.join(' / ')} before, ${m.loadAfter.join(' / ')} after`;
}

/** The peer decoded these, we did not: images left out that decode elsewhere. */
function leftOut(ix: IndexingSection): string[] {
  const out = new Set<string>();
  for (const r of ix.rounds) {
    const peerFailed = new Set(r.peer?.failures.map((f) => f.input) ?? []);
    for (const f of r.index.failed) if (r.peer && !peerFailed.has(f.path)) out.add(f.path);
  }
  return [...out];
}

function describeConfig(c: { engine: { threads: number; batchSize: number }; indexerBatchSize: number }): string {
  return `onnxruntime threads ${c.engine.threads || 'default (all cores)'}, batch ${c.engine.batchSize}, ${c.indexerBatchSize} images per embedder call`;
}

function headline(r: Results): string[] {
  const lines = ['| Target | Measured (median, min–max) | Goal | |', '|---|---|---|---|'];
  const ix = r.indexing;
  if (ix) {
    lines.push(
      `| Indexing throughput vs pipeline bound | ${pctSpread(ix.ofBound)} (${fmtSpread(ix.rate, 1)} vs ${fmtSpread(ix.boundRate, 1)} images/s); in CPU time ${pctSpread(ix.cpuOfBound)} | ≥ ${pct(TARGETS.ofBound)} | ${met(ix.ofBound.median >= TARGETS.ofBound)} |`,
    );
    if (ix.vsPeer)
      lines.push(
        `| Indexing throughput vs Transformers.js | ${fmtSpread(ix.vsPeer, 2, '×')} (peer ${fmtSpread(ix.peerRate!, 2)} images/s) | ≥ ${TARGETS.vsPeer}× | ${met(ix.vsPeer.median >= TARGETS.vsPeer)} |`,
      );
    if (ix.previousOfBound) {
      lines.push(
        `| … the same with the extension's settings before the tuning (${describeConfig(ix.previousConfig!)}): vs bound | ${pctSpread(ix.previousOfBound)} (${fmtSpread(ix.previousRate!, 1)} images/s) | ≥ ${pct(TARGETS.ofBound)} | ${met(ix.previousOfBound.median >= TARGETS.ofBound)} |`,
      );
      if (ix.previousVsPeer)
        lines.push(
          `| … before the tuning: vs Transformers.js | ${fmtSpread(ix.previousVsPeer, 2, '×')} | ≥ ${TARGETS.vsPeer}× | ${met(ix.previousVsPeer.median >= TARGETS.vsPeer)} |`,
        );
    }
    const lost = leftOut(ix);
    const ours = Math.max(...ix.rounds.map((x) => x.index.failed.length));
    const peer = ix.rounds[0]?.peer ? Math.max(...ix.rounds.map((x) => x.peer!.failures.length)) : undefined;
    lines.push(
      `| Images left out that decode elsewhere | ${lost.length} (we fail ${ours} of ${ix.sample.files}${peer !== undefined ? `, the peer fails ${peer}` : ''}) | 0 | ${met(lost.length === 0)} |`,
    );
    const p99 = spread(ix.rounds.map((x) => x.index.eventLoopDelayMs.p99));
    lines.push(`| Event-loop delay p99 while indexing | ${fmtSpread(p99, 1, ' ms')} | < ${TARGETS.eldP99Ms} ms | ${met(p99.median < TARGETS.eldP99Ms)} |`);
  }
  const dd = r.dedup;
  if (dd)
    lines.push(
      `| Fresh index of a folder with ${dd.copies}× duplicated content vs the same folder deduplicated (${dd.files} images) | ${fmtSpread(dd.ratio, 2, '×')} | ≤ ${TARGETS.dedupRatio}× | ${met(dd.ratio.median <= TARGETS.dedupRatio)} |`,
    );
  const bi = r.bigimages;
  if (bi) {
    for (const [label, x] of [
      [`whole openclipart set (${bi.clipart?.total.toLocaleString('en')} files), stand-in S0 at batch ${bi.config.engine.batchSize}`, bi.clipart],
      ['whole openclipart set, cheap colour model (as the earlier 619 MiB)', bi.clipartCheap],
      ['ten 500 MP PNGs', bi.huge],
    ] as const) {
      if (x)
        lines.push(
          `| Worker peak RSS while indexing the ${label} | ${mib(x.workerPeakRss)} (${x.failed.length} failed) | < ${TARGETS.workerPeakMiB} MiB | ${met(x.workerPeakRss < TARGETS.workerPeakMiB * 2 ** 20)} |`,
        );
    }
  }
  const idle32 = r.memory?.idle.find((x) => x.dtype === 'float32' && x.rows === 100_000);
  const idle16 = r.memory?.idle.find((x) => x.dtype === 'float16' && x.rows === 100_000);
  if (idle16) {
    const before = IDLE_BEFORE_COLUMNS_MIB.float32 * 2 ** 20;
    lines.push(
      `| Idle host RSS at 100k images, float16 (the default) vs float32 before the columnar entries (${IDLE_BEFORE_COLUMNS_MIB.float32} MiB) | ${pct(idle16.hostRss / before)} (${mib(idle16.hostRss)}) | ≤ ${pct(TARGETS.idleOfFloat32)} | ${met(idle16.hostRss / before <= TARGETS.idleOfFloat32)} |`,
    );
  }
  if (idle32 && idle16)
    lines.push(
      `| … float16 vs float32, both as now | ${pct(idle16.hostRss / idle32.hostRss)} (${mib(idle16.hostRss)} vs ${mib(idle32.hostRss)}) | ≤ ${pct(TARGETS.idleOfFloat32)} | ${met(idle16.hostRss / idle32.hostRss <= TARGETS.idleOfFloat32)} |`,
    );
  const idle8 = r.memory?.idle.find((x) => x.dtype === 'int8' && x.rows === 100_000);
  if (idle32 && idle8)
    lines.push(
      `| … int8 (optional) vs float32 | ${pct(idle8.hostRss / idle32.hostRss)} (${mib(idle8.hostRss)}) | ≤ ${pct(TARGETS.idleOfFloat32)} | ${met(idle8.hostRss / idle32.hostRss <= TARGETS.idleOfFloat32)} |`,
    );
  for (const set of r.memory?.recall?.sets ?? []) {
    lines.push(
      `| Recall@10 vs float32, ${set.count.toLocaleString('en')} CLIP-like images: float16 / int8 | ${set.recall.float16.toFixed(4)} / ${set.recall.int8.toFixed(4)} | ≥ ${TARGETS.recall} | ${met(set.recall.float16 >= TARGETS.recall)} (float16), ${met(set.recall.int8 >= TARGETS.recall)} (int8) |`,
    );
  }
  for (const q of r.query?.sizes.filter((s) => s.rows === 100_000) ?? []) {
    if (dtypeOf(q) === 'float32') {
      // The bandwidth target is float32's; the narrower precisions read fewer bytes and widen them, so they are compared by time.
      const ratio = q.scoring.median / q.bandwidth.median;
      lines.push(
        `| Scoring 100k float32 vectors vs memory bandwidth | ${fmt(ratio, 2)}× (${fmt(q.scoring.median, 1)} ms vs ${fmt(q.bandwidth.median, 1)} ms) | ≤ ${TARGETS.scoringVsBandwidth}× | ${met(ratio <= TARGETS.scoringVsBandwidth)} |`,
      );
    }
    if (q.text)
      lines.push(
        `| Text query end to end at 100k, ${dtypeOf(q)} (scoring ${fmt(q.scoring.median, 1)} ms) | ${fmtSpread(q.text, 1, ' ms')} | < ${TARGETS.textQueryMs} ms | ${met(q.text.median < TARGETS.textQueryMs)} |`,
      );
  }
  const ri = r.reindex;
  if (ri)
    lines.push(
      `| Re-index of ${ri.result.files.toLocaleString('en')} unchanged images | ${fmtSpread(ri.update, 2, ' s')} | < ${TARGETS.reindexSeconds} s | ${met(ri.update.median < TARGETS.reindexSeconds)} |`,
    );
  return lines;
}

function modelPart(m: ModelSection): string[] {
  const out: string[] = [];
  out.push('## Stand-in model', '');
  out.push(`Run: ${runLine(m.meta)}`, '');
  out.push(
    '`test/fixtures/standin.ts` generates a MobileCLIP-S0 stand-in with the real export interfaces (`pixel_values` [batch,3,256,256] → `image_embeds` [batch,512]; int64 `input_ids` [batch,77] → `text_embeds` [batch,512]), dynamic batch, random weights and the hub folder layout (config.json, preprocessor_config.json as in the S0 export: shortest edge 256, center crop 256, `do_normalize: false`; the CLIP tokenizer from test/fixtures/tokenizer.ts). Compute, counted from the generated graphs by bench/lib/macs.ts:',
    '',
  );
  out.push('| Tower | Architecture | GMACs per item | Parameters | File |', '|---|---|---|---|---|');
  out.push(
    `| vision | 3×3 stride-2 conv stem → 3×3 stride-2 conv → 9 residual 3×3 convs at 1/4 resolution (64 channels) → global pool → linear | ${fmt(m.vision.total / 1e9, 3)} | ${(m.vision.parameters / 1e6).toFixed(2)} M | ${mib(m.vision.fileBytes)} |`,
  );
  out.push(
    `| text | token + position embedding → 4 pre-norm transformer layers (512 wide, 8 heads, MLP 2048, causal) → pool at end token → linear | ${fmt(m.text.total / 1e9, 3)} | ${(m.text.parameters / 1e6).toFixed(1)} M | ${mib(m.text.fileBytes)} |`,
  );
  if (m.textInt8)
    out.push(
      `| text, int8 (\`text_model_int8.onnx\`, what the extension loads by default) | the same, dynamically quantized like the hub's int8 exports (int8 weights, MatMulInteger) | ${fmt(m.textInt8.total / 1e9, 3)} | ${(m.textInt8.parameters / 1e6).toFixed(1)} M | ${mib(m.textInt8.fileBytes)} |`,
    );
  out.push(
    '',
    'Real weights do not change the timing of a graph, so the figures below transfer to the real S0 (whose image tower is about 1.5 GMACs; its fp32 text tower file is 170 MB).',
    '',
  );
  out.push('### Model-only throughput vs batch size', '');
  out.push("The engine's `VisionTower` (its session options) on ready tensors (no decoding), best of the rounds, images/s (CPU ms per image):", '');
  const configs = [...new Set(m.sweep.points.map((p) => p.config))];
  const batches = [...new Set(m.sweep.points.map((p) => p.batch))];
  out.push(`| Batch | ${configs.join(' | ')} |`, `|---|${configs.map(() => '---').join('|')}|`);
  for (const b of batches) {
    out.push(
      `| ${b} | ${configs
        .map((c) => {
          const p = m.sweep.points.find((x) => x.config === c && x.batch === b)!;
          return `${fmt(p.best, 1)} (${fmt(p.cpuPerImage * 1000, 0)} ms)`;
        })
        .join(' | ')} |`,
    );
  }
  out.push('', '![throughput vs batch size](charts/throughput-vs-batch.svg)', '');
  if (m.variants) {
    out.push('### Session options (batch 16)', '');
    out.push("Plain onnxruntime sessions with one option changed each, to choose the engine's (which now turns spin-waiting off):", '');
    out.push('| Session | images/s (best of 2) | CPU ms per image |', '|---|---|---|');
    for (const p of m.variants.points) out.push(`| ${p.config} | ${fmt(p.best, 1)} | ${fmt(p.cpuPerImage * 1000, 0)} |`);
    out.push('');
  }
  return out;
}

function indexingPart(ix: IndexingSection): string[] {
  const out: string[] = [];
  out.push('## Indexing throughput', '');
  out.push(`Run: ${runLine(ix.meta)}`, '');
  out.push(
    `Images: ${ix.sample.clipart} clip-art PNGs from /usr/share/openclipart/png (seeded sample, seed ${ix.sample.seed}, regular files only) + ${ix.sample.photos} 4096×4096 WebP photos = ${ix.sample.files}. ` +
      `Ours: a fresh index of a workspace folder of those files by \`WorkspaceIndexer.update()\` through the \`Engine\` (worker process), thumbnails on, configured as the VS Code extension does it${ix.config.overridden ? ` except ${ix.config.overridden} (a tuning run)` : ''} (onnxruntime threads ${ix.config.engine.threads || 'default (all cores)'}, batch ${ix.config.engine.batchSize}, ${ix.config.indexerBatchSize} images per embedder call, ${ix.config.precision?.vision ?? 'fp32'} vision / ${ix.config.precision?.text ?? 'fp32'} text tower). ` +
      "D: the engine's `preprocessImage` (decode + resize + tensor, no thumbnail) on all cores (2 or 4 files at a time, the better). " +
      "M: the engine's `VisionTower` on ready tensors, the best of batch 8/16/32 with onnxruntime's default threads (all cores) and with one thread (on a shared machine two threads that wait for each other often lose to one; taking the better keeps the bound strict). D and M are measured before and after the contenders in each round and averaged (that cancels a steady drift of the machine's load). Bound = 1/(1/D + 1/M). " +
      'Peer: Transformers.js `AutoProcessor` + `CLIPVisionModelWithProjection`, one image at a time, same model folder and files. Each round runs every contender once, in rotated order.',
    '',
  );
  if (ix.previousConfig)
    out.push(
      `"Before" indexes the same images with the extension's settings from before the tuning (${describeConfig(ix.previousConfig)}; see Tuning below), in the same rounds.`,
      '',
    );
  out.push(
    '| Round | D (decode) | D with thumbnails | M | Bound | Ours | Ours / bound | Before | Before / bound | Peer | Ours / peer | Before / peer | Failed: ours / peer |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  );
  ix.rounds.forEach((r, i) => {
    const t = r.previous;
    out.push(
      `| ${i + 1} | ${fmt(r.D, 1)} | ${fmt(r.decodeThumbs.best.rate, 1)} | ${fmt(r.M, 1)} (${r.Mconfig.replace('engine, ', '')}, batch ${r.Mbatch}) | ${fmt(r.bound, 1)} | ${fmt(r.index.rate, 1)} | ${pct(r.index.rate / r.bound)} | ${t ? fmt(t.rate, 1) : '–'} | ${t ? pct(t.rate / r.bound) : '–'} | ${r.peer ? fmt(r.peer.rate, 2) : '–'} | ${r.peer ? `${fmt(r.index.rate / r.peer.rate, 2)}×` : '–'} | ${r.peer && t ? `${fmt(t.rate / r.peer.rate, 2)}×` : '–'} | ${r.index.failed.length} / ${r.peer ? r.peer.failures.length : '–'} |`,
    );
  });
  out.push('', 'Images/s. CPU time per image (all threads of the process(es); less sensitive to other load on the machine than wall time):', '');
  out.push('| Round | Decode | Decode + thumbnail | Model | Ours (worker + host) | (Decode + model) / ours | Before | Peer |', '|---|---|---|---|---|---|---|---|');
  const cpuOf = (x: { workerCpuSeconds: number; hostCpuSeconds: number; indexed: number }) => (x.workerCpuSeconds + x.hostCpuSeconds) / x.indexed;
  ix.rounds.forEach((r, i) => {
    const mBest = r.model.points.find((p) => p.batch === r.Mbatch && p.config === r.Mconfig)!;
    const ours = cpuOf(r.index);
    out.push(
      `| ${i + 1} | ${fmt(r.decode.best.cpuPerImage * 1000, 0)} ms | ${fmt(r.decodeThumbs.best.cpuPerImage * 1000, 0)} ms | ${fmt(mBest.cpuPerImage * 1000, 0)} ms | ${fmt(ours * 1000, 0)} ms | ${pct((r.decode.best.cpuPerImage + mBest.cpuPerImage) / ours)} | ${r.previous ? `${fmt(cpuOf(r.previous) * 1000, 0)} ms` : '–'} | ${r.peer ? `${fmt(r.peer.cpuPerImage * 1000, 0)} ms` : '–'} |`,
    );
  });
  const fails = new Map<string, string>();
  for (const r of ix.rounds) for (const f of r.index.failed) fails.set(f.path, f.error);
  if (fails.size) {
    out.push('', 'Files our indexer reported as failed:', '');
    for (const [p, e] of fails) out.push(`- \`${p}\`: ${e}`);
  }
  const peerFails = new Map<string, string>();
  for (const r of ix.rounds) for (const f of r.peer?.failures ?? []) peerFails.set(f.input, f.error);
  if (peerFails.size) {
    const reasons = new Map<string, number>();
    for (const e of peerFails.values()) reasons.set(e, (reasons.get(e) ?? 0) + 1);
    out.push('', `The peer failed on ${peerFails.size} of the ${ix.sample.files} files: ${[...reasons].map(([e, n]) => `${n} × "${e}"`).join('; ')}.`);
  }
  out.push('', '### Extension-host responsiveness and memory while indexing', '');
  out.push(
    'Event-loop delay of the process that drives the Engine and the indexer (`perf_hooks.monitorEventLoopDelay`, 2 ms resolution, reported as delay beyond the timer interval), and RSS sampled every 100 ms:',
    '',
  );
  out.push("The control columns are the same measurement in an idle Node process running alongside: the delay the shared machine's scheduler adds by itself.", '');
  out.push(
    '| Round | p50 | p90 | p99 | max | Control p99 / max | Host peak RSS | Worker peak RSS (while indexing) | Worker high-water (incl. model load) |',
    '|---|---|---|---|---|---|---|---|---|',
  );
  ix.rounds.forEach((r, i) => {
    for (const [name, x] of [
      ['', r.index],
      [' before', r.previous],
    ] as const) {
      if (!x) continue;
      const e = x.eventLoopDelayMs;
      const c = x.controlDelayMs;
      out.push(
        `| ${i + 1}${name} | ${fmt(e.p50, 1)} ms | ${fmt(e.p90, 1)} ms | ${fmt(e.p99, 1)} ms | ${fmt(e.max, 0)} ms | ${c ? `${fmt(c.p99, 1)} / ${fmt(c.max, 0)} ms` : '–'} | ${mib(x.hostPeakRss)} | ${mib(x.workerPeakRss)} | ${mib(x.workerHighWater)} |`,
      );
    }
  });
  out.push('');
  return out;
}

function dedupPart(d: DedupSection): string[] {
  const out: string[] = ['## Duplicate content', ''];
  out.push(`Run: ${runLine(d.meta)}`, '');
  out.push(
    `${d.files} clip-art PNGs of distinct content (a seeded sample of /usr/share/openclipart/png) as one folder, and the same files copied into ${d.copies} folders (${d.files * d.copies} files, each content ${d.copies} times: vendored icon sets, assets copied between packages). ` +
      `Each round indexes both from scratch through the \`Engine\` with the stand-in model, configured as the extension does it (${describeConfig(d.config)}), thumbnails on, in alternating order. The indexer hashes every new file and embeds each distinct content once; before this, every copy was decoded and embedded (the duplicated folder took ~${d.copies}× as long).`,
    '',
  );
  out.push('| Round | Distinct: files / embedded / seconds | Duplicated: files / embedded / copies / seconds | Duplicated / distinct |', '|---|---|---|---|');
  d.rounds.forEach((r, i) => {
    out.push(
      `| ${i + 1} | ${r.distinct.total} / ${r.distinct.indexed} / ${fmt(r.distinct.seconds, 1)} s | ${r.duplicated.total} / ${r.duplicated.indexed} / ${r.duplicated.duplicates} / ${fmt(r.duplicated.seconds, 1)} s | ${fmt(r.duplicated.seconds / r.distinct.seconds, 2)}× |`,
    );
  });
  const hashMs = spread(d.hash.ms);
  const perFile = hashMs.median / d.hash.files;
  const embedPerImage = spread(d.rounds.map((r) => (r.distinct.seconds * 1000) / r.distinct.indexed));
  out.push(
    '',
    `What a hash costs: the indexer's streaming sha256 (four files at a time) over the ${d.hash.files} files (${mib(d.hash.bytes)}) from the page cache: ${fmt(hashMs.median, 1)} ms (${fmt(hashMs.min, 1)}–${fmt(hashMs.max, 1)}), ${fmt(perFile, 3)} ms per file (${fmt(d.hash.bytes / 2 ** 20 / (hashMs.median / 1000), 0)} MiB/s), against ${fmt(embedPerImage.median, 1)} ms of wall time per embedded image in the distinct rounds (decode + model + thumbnail + index): ${fmt(embedPerImage.median / perFile, 0)}× cheaper.`,
    '',
  );
  return out;
}

function bigImagesPart(b: BigImagesSection, ri: ReindexSection | undefined): string[] {
  const out: string[] = ['## Big images and worker memory', ''];
  out.push(`Run: ${runLine(b.meta)}`, '');
  out.push(
    'Images larger than the model input are decoded and resized in one streaming libvips pass (sequential access, shrink-on-load for JPEG/WebP; beyond 100 MP, PNG/TIFF resize across first, then down), so only the resized image is held and the thumbnail is made from it; decodes share a 96 MiB working-set budget; formats libvips decodes whole (GIF, WebP, HEIF, interlaced PNG, progressive JPEG) keep a 100 MP limit. ' +
      `Fresh indexes through the \`Engine\` as the extension runs it (${describeConfig(b.config)}), thumbnails on. Worker RSS sampled every 100 ms while indexing; the first RSS column is the worker with its model loaded, before the run.`,
    '',
  );
  out.push(
    '| Workspace | Files (distinct) | Failed | Seconds | Worker RSS with the model loaded | Worker peak RSS while indexing | Host peak RSS |',
    '|---|---|---|---|---|---|---|',
  );
  const row = (label: string, x: BigImagesSection['clipart']) => {
    if (x)
      out.push(
        `| ${label} | ${x.total.toLocaleString('en')} (${x.distinct.toLocaleString('en')}) | ${x.failed.length} | ${fmt(x.seconds, 0)} | ${x.workerStartRss ? mib(x.workerStartRss) : '–'} | ${mib(x.workerPeakRss)} | ${mib(x.hostPeakRss)} |`,
      );
  };
  row(`Ten ${b.huge.width}×${b.huge.height} PNGs (${fmt((b.huge.width * b.huge.height) / 1e6, 0)} MP each, ${mib(b.huge.fileBytes)} of files), stand-in model`, b.huge);
  row('/usr/share/openclipart/png, stand-in model', b.clipart);
  row('/usr/share/openclipart/png, cheap colour model (512-d, 256 px: what the earlier 8k figure used)', b.clipartCheap);
  if (ri)
    out.push(
      '',
      `Before (the cached 8k build of ${ri.build.date.slice(0, 10)}, cheap model, 100 MP limit, full-size decodes): worker peak ${mib(ri.build.workerPeakRss)}, ${ri.build.failed.length} of ${ri.build.total.toLocaleString('en')} files refused (105–623 MP renders).`,
    );
  out.push(
    '',
    "Decoding itself stays within its budget: one 500 MP PNG adds ~90 MiB to the worker's peak (test/engine/huge-images.test.ts asserts < 256 MiB; its pixels are 1.4 GiB). The rest of the growth while indexing is onnxruntime's activations and allocator high-water marks, not image size: on 372 small clip-art PNGs alone the stand-in's worker peaked at 443 MiB with onnxruntime's memory arena (379 MiB without it, as now; 340 at batch 4 with it). So with the stand-in at batch 16 the whole openclipart set peaks above the 400 MiB target.",
  );
  const failures = [...(b.clipart?.failed ?? []), ...(b.clipartCheap?.failed ?? []), ...b.huge.failed];
  if (failures.length) {
    out.push('', 'Failed files:', '');
    for (const f of failures) out.push(`- \`${f.path}\`: ${f.error}`);
  }
  out.push('');
  return out;
}

function precisionPart(mem: MemorySection, q: QuerySection | undefined): string[] {
  const out: string[] = ['## Vector precision: memory, speed and recall', ''];
  out.push(
    'The index keeps its vectors in memory in the precision it stores them in (WebAssembly memory the scoring kernel reads in place): float32 (4 bytes a value), float16 (2; widened on the fly), or int8 with a float32 scale per row (1, plus 4 a row). New indexes are float16.',
    '',
  );
  out.push(
    '| Precision | Index files at 100k | Idle host RSS at 100k | vs float32 | Scoring 100k | Text query end to end at 100k | Recall@10 vs float32 |',
    '|---|---|---|---|---|---|---|',
  );
  const base = mem.idle.find((x) => x.dtype === 'float32');
  for (const idle of mem.idle) {
    const qs = q?.sizes.find((s) => s.rows === 100_000 && dtypeOf(s) === idle.dtype);
    const recall = (mem.recall?.sets ?? []).map((s) => s.recall[idle.dtype as keyof typeof s.recall]).filter((x) => x !== undefined);
    out.push(
      `| ${idle.dtype} | ${mib(idle.indexFileBytes)} | ${mib(idle.hostRss)} | ${base ? pct(idle.hostRss / base.hostRss) : '–'} | ${qs ? fmtSpread(qs.scoring, 1, ' ms') : '–'} | ${qs?.text ? fmtSpread(qs.text, 1, ' ms') : '–'} | ${recall.length ? recall.map((x) => x.toFixed(4)).join(' / ') : '–'} |`,
    );
  }
  if (mem.recall) {
    out.push(
      '',
      `Recall: ${mem.recall.sets.map((s) => `${s.count.toLocaleString('en')} images in ${s.clusters} clusters, ${s.queries} text-like queries (mean gap between ranks 10 and 11: ${s.top10Gap.toExponential(1)})`).join('; ')}. The embeddings are synthetic but CLIP-like (test/fixtures/embeddings.ts): a shared direction (mean image-image cosine ~0.4), three outlier dimensions, clusters, and text queries along another direction, so the top scores crowd together as text-image scores do.`,
      '',
    );
  }
  out.push(
    "Trade-off. float16 halves the vectors on disk and in memory, scores about as fast as float32 at 100k (half the bytes to read, but widening each value costs instructions: at 1M the kernel is compute-bound, ~1.4× float32's time), and its rankings are float32's: recall@10 ≥ 0.999 here, the rare swaps being near-ties. int8 with a per-row scale halves them again and scores fastest, but the shared direction and the outlier dimensions of CLIP-like embeddings use up its 8 bits: recall@10 ~0.975 here (0.90–0.97 on variants with tighter clusters tried during development), i.e. one of the top 10 differs in about every fourth query. So float16 is the default and int8 an option for indexes that must be as small as possible. " +
      `Entries. The index's entries are columns (src/engine/index/entries.ts): typed arrays for size, time, row, dimensions and the sha256, the paths as UTF-8 in one buffer with an open-addressing path index, so no JavaScript object or string per file stays on the heap; index.json (unchanged) is parsed a line at a time from its bytes. Before, one object per file in two maps and a sorted list took ~300 bytes a file (~29 MiB at 100k), and parsing the whole manifest at once grew V8's young generation to its maximum. Idle host RSS at 100k before → now: ${(
        ['float32', 'float16', 'int8'] as const
      )
        .map(
          (d) =>
            `${d} ${IDLE_BEFORE_COLUMNS_MIB[d]} → ${(() => {
              const x = mem.idle.find((i) => i.dtype === d && i.rows === 100_000);
              return x ? mib(x.hostRss) : '–';
            })()}`,
        )
        .join(', ')}. ` +
      "What is left over the vectors (float16: 98 MiB) is the process itself (Node, tsx and the modules: the baseline of the memory table below, ~80 MiB), the columns (~13 MiB at 100k) and what V8 and the native heap keep committed after the load; the young generation's size varies from run to run by ±8 MiB with the engine's start-up, so the float16 figure moves by about that much between runs.",
    '',
  );
  return out;
}

function reindexPart(ri: ReindexSection): string[] {
  const out: string[] = [];
  out.push('## Re-index of an unchanged workspace', '');
  out.push(`Run: ${runLine(ri.meta)}`, '');
  out.push(
    `/usr/share/openclipart/png as the workspace (${ri.result.files.toLocaleString('en')} images, symlinks included). Its index was built once (${ri.build.date.slice(0, 10)}, ${fmt(ri.build.seconds, 0)} s) with a cheap model (${ri.build.model}: re-indexing never runs the model) and is cached in .cache/bench/reindex-8k/. ` +
      `Each run opens the index (\`WorkspaceIndexer.open\`) and runs \`update()\`; the embedder refuses to embed, so a run that embedded anything would show failures (calls to it: ${ri.result.embedCalls}).`,
    '',
  );
  out.push('| | median | min | max |', '|---|---|---|---|');
  out.push(`| update() (scan + stat + compare) | ${fmt(ri.update.median, 3)} s | ${fmt(ri.update.min, 3)} s | ${fmt(ri.update.max, 3)} s |`);
  out.push(`| open (load + verify the index) | ${fmt(ri.open.median, 3)} s | ${fmt(ri.open.min, 3)} s | ${fmt(ri.open.max, 3)} s |`);
  out.push('', `Unchanged: ${ri.result.unchanged}, embedded: ${ri.result.indexed}, failing files on record: ${ri.result.failed}.`, '');
  return out;
}

function hygienePart(h: HygieneSection): string[] {
  const d = h.duplicates;
  const u = h.unused;
  const out: string[] = ['## Asset hygiene: duplicates and unused assets', ''];
  out.push(`Run: ${runLine(h.meta)}`, '');
  out.push(
    `**Near-duplicate groups** over the cached 8k index (${d.images.toLocaleString('en')} images, ${d.contents.toLocaleString('en')} distinct contents; cheap colour model, 512-d). ` +
      'Signatures: every thumbnail decoded once in a worker (cold), then read from the cache beside the index (warm). Grouping: `groupDuplicates()` (exact copies by sha256, 64 embedding neighbours per image above the cosine gate, pixel confirmation, union). ' +
      'Baseline: one brute-force query over the same vectors (`dotRows`) times n/2, the least an all-pairs embedding pass costs. The colour model makes most clip art look alike, so every image fills its candidate list: the worst case for the pixel checks.',
    '',
  );
  out.push('| | median | min | max |', '|---|---|---|---|');
  out.push(`| Grouping (embedding pass + pixel checks + groups) | ${fmt(h.group.median, 2)} s | ${fmt(h.group.min, 2)} s | ${fmt(h.group.max, 2)} s |`);
  out.push(`| Baseline: n/2 brute-force queries | ${fmt(d.allPairsBound, 2)} s (one query ${fmt(d.query * 1000, 2)} ms) | | |`);
  const warm = spread(d.signaturesWarm);
  out.push(`| Signatures, cold (${d.computed.toLocaleString('en')} thumbnails decoded) | ${fmt(d.signaturesCold, 1)} s | | |`);
  out.push(`| Signatures, warm (cache) | ${fmt(warm.median, 2)} s | ${fmt(warm.min, 2)} s | ${fmt(warm.max, 2)} s |`);
  const ratio = spread(d.ratios ?? [h.group.median / d.allPairsBound]);
  out.push(
    '',
    `Grouping / baseline (each run against the baseline measured just before it): ${fmtSpread(ratio, 2, '×')}; first run in the process (what one CLI call pays) ${fmt(d.group[0]!, 2)} s. ${d.candidatePairs.toLocaleString('en')} candidate pairs checked, ${d.confirmedPairs.toLocaleString('en')} confirmed; ` +
      `${d.groups} groups (${d.exactGroups} of byte-identical files, largest ${d.largestGroup} files), ${mib(d.bytesWasted)} to free; ${d.signatureFailures} images without a signature. Peak RSS: host ${mib(d.hostPeakRss)}, worker ${mib(d.workerPeakRss)}.`,
    '',
  );
  out.push(
    `**Unused assets** in a generated repository (bench/lib/repo.ts, ${u.repoFiles.toLocaleString('en')} files: ${u.images.toLocaleString('en')} images, ${u.filesRead.toLocaleString('en')} text files read (${mib(u.bytesRead)}), 200 git-ignored build files): ` +
      '`listImages()` + `scanReferences()` + `unused()`, as `mobileclip-assets unused` runs them. Baseline, alternating with it in the same process: the same walk reading the same files without looking at them.',
    '',
  );
  out.push('| | median | min | max |', '|---|---|---|---|');
  out.push(`| Unused-asset scan | ${fmt(h.scan.median, 2)} s | ${fmt(h.scan.min, 2)} s | ${fmt(h.scan.max, 2)} s |`);
  out.push(`| Baseline: walk + read only | ${fmt(h.read.median, 2)} s | ${fmt(h.read.min, 2)} s | ${fmt(h.read.max, 2)} s |`);
  out.push(
    '',
    `Scan / baseline: ${fmt(h.scan.median / h.read.median, 2)}×; ${u.unused} unused images found, ${u.correct ? 'exactly the set the generator left unreferenced' : '**not** the generated set'}. Peak RSS ${mib(u.hostPeakRss)}.`,
    '',
  );
  return out;
}

function queryPart(q: QuerySection): string[] {
  const out: string[] = [];
  out.push('## Query latency', '');
  out.push(`Run: ${runLine(q.meta)}`, '');
  out.push(
    "Synthetic unit vectors (512-d) added through the product's `IndexStore`, one process per size. Bandwidth baseline: the fastest of several single passes that read the same vector bytes once, in the same process (a JS float64 sum, a native loop — a `Float64Array.indexOf` miss —, and WebAssembly SIMD passes of 16-byte loads folded with xor, over the bytes split into 1, 2, 4 or 8 parts read in lockstep, since several streams in flight read faster than one). " +
      `Kernel: \`dotRows\` alone. Scoring: \`SearchEngine.search()\` with the query vector already known (dot products, filters loop, top-60). Text: \`SearchEngine.search("…")\` end to end through the worker (tokenize + text tower + IPC + scoring), onnxruntime threads ${q.config.engine.threads || 'default (all cores)'} as in the extension. Medians in ms (min–max):`,
    '',
  );
  out.push(
    "Each vector precision is scored in place by its own WebAssembly SIMD kernel (float16 widened on the fly, int8 with int16 dot products), so the baseline is reading that precision's bytes.",
    '',
  );
  out.push(
    '| Vectors | Precision | Bytes | Bandwidth baseline | Kernel | Scoring | Scoring / baseline | Text tower alone | Text query end to end |',
    '|---|---|---|---|---|---|---|---|---|',
  );
  for (const s of q.sizes) {
    out.push(
      `| ${s.rows.toLocaleString('en')} | ${dtypeOf(s)} | ${mib(s.bytes)} | ${fmt(s.bandwidth.median, 1)} (${s.bandwidthReader}) | ${fmtSpread(s.kernel, 1)} | ${fmtSpread(s.scoring, 1)} | ${fmt(s.scoring.median / s.bandwidth.median, 2)}× | ${s.embedText ? fmtSpread(s.embedText, 1) : '–'} | ${s.text ? fmtSpread(s.text, 1) : '–'} |`,
    );
  }
  out.push('', '![query latency vs index size](charts/query-latency.svg)', '');
  return out;
}

function memoryPart(mem: MemorySection | undefined, ix: IndexingSection | undefined, ri: ReindexSection | undefined): string[] {
  const out: string[] = ['## Peak memory', ''];
  if (mem) out.push(`Run: ${runLine(mem.meta)}`, '');
  out.push('| Situation | Host RSS | Worker RSS |', '|---|---|---|');
  if (ri) {
    out.push(
      `| Indexing ${ri.build.total.toLocaleString('en')} images (the cached 8k build, cheap model, peak) | ${mib(ri.build.hostPeakRss)} | ${mib(ri.build.workerPeakRss)} (high-water ${mib(ri.build.workerHighWater)}) |`,
    );
  }
  if (ix) {
    const host = Math.max(...ix.rounds.map((r) => r.index.hostPeakRss));
    const worker = Math.max(...ix.rounds.map((r) => r.index.workerPeakRss));
    out.push(`| Indexing ${ix.sample.files} images with the stand-in model (peak) | ${mib(host)} | ${mib(worker)} |`);
  }
  for (const r of mem?.idle ?? []) {
    out.push(
      `| Idle, ${r.rows.toLocaleString('en')}-image index loaded (${r.dtype} on disk and in memory, ${mib(r.indexFileBytes)} of files), after a query | ${mib(r.hostRss)} (process baseline ${mib(r.hostBaseline)}; JS heap ${mib(r.hostHeapUsed)}) | ${mib(r.workerRss)} |`,
    );
  }
  out.push(
    '',
    "The host figures include Node, tsx and the loaded modules (the baseline column); an extension host adds its own. The worker holds both towers (the stand-in text tower alone is 150 MB of weights). The 8k row uses the cheap model, so its worker figure lacks the stand-in's weights and activations; the stand-in row shows those at sample scale, and the worker's memory does not grow with the number of images (a bounded window of decoded images).",
    '',
  );
  return out;
}

async function charts(r: Results): Promise<void> {
  const dir = path.join(PROJECT_ROOT, 'bench', 'charts');
  await fs.mkdir(dir, { recursive: true });
  if (r.model) {
    const configs = [...new Set(r.model.sweep.points.map((p) => p.config))];
    const series = configs.map((c) => ({ name: c, points: r.model!.sweep.points.filter((p) => p.config === c).map((p) => ({ x: p.batch, y: p.best })) }));
    const hLines = [];
    if (r.indexing) {
      hLines.push({ y: r.indexing.rate.median, label: `indexing (ours) ${fmt(r.indexing.rate.median, 1)}/s` });
      if (r.indexing.previousRate) hLines.push({ y: r.indexing.previousRate.median, label: `indexing, settings before tuning ${fmt(r.indexing.previousRate.median, 1)}/s` });
      hLines.push({ y: r.indexing.boundRate.median, label: `pipeline bound ${fmt(r.indexing.boundRate.median, 1)}/s` });
      if (r.indexing.peerRate) hLines.push({ y: r.indexing.peerRate.median, label: `Transformers.js ${fmt(r.indexing.peerRate.median, 1)}/s` });
    }
    await fs.writeFile(
      path.join(dir, 'throughput-vs-batch.svg'),
      lineChart(series, {
        title: 'Vision tower throughput vs batch size (stand-in S0, ready tensors)',
        xLabel: 'batch size',
        yLabel: 'images/s',
        xLog: 2,
        hLines,
        width: 760,
      }),
    );
  }
  if (r.query) {
    const all = r.query.sizes;
    const s = all.filter((x) => dtypeOf(x) === 'float32');
    const half = all.filter((x) => dtypeOf(x) === 'float16');
    const series = [
      { name: 'bandwidth baseline', points: s.map((x) => ({ x: x.rows, y: x.bandwidth.median })), dashed: true },
      { name: 'scoring', points: s.map((x) => ({ x: x.rows, y: x.scoring.median })) },
      ...(half.length ? [{ name: 'scoring, float16', points: half.map((x) => ({ x: x.rows, y: x.scoring.median })) }] : []),
      { name: 'text query e2e', points: s.filter((x) => x.text).map((x) => ({ x: x.rows, y: x.text!.median })) },
      { name: 'text tower alone', points: s.filter((x) => x.embedText).map((x) => ({ x: x.rows, y: x.embedText!.median })), dashed: true },
    ];
    await fs.writeFile(
      path.join(dir, 'query-latency.svg'),
      lineChart(series, {
        title: 'Query latency vs index size (medians)',
        xLabel: 'vectors in the index',
        yLabel: 'ms',
        xLog: 10,
        yLog: 10,
        hLines: [{ y: TARGETS.textQueryMs, label: `${TARGETS.textQueryMs} ms target` }],
        width: 760,
      }),
    );
  }
}

export async function writeReport(r: Results): Promise<string> {
  await charts(r);
  const metas = [r.model, r.indexing, r.dedup, r.bigimages, r.reindex, r.query, r.memory, r.hygiene].filter((x) => x).map((x) => x!.meta);
  const latest = metas.sort((a, b) => (a.date < b.date ? 1 : -1))[0];
  const lines: string[] = ['# Benchmarks', ''];
  lines.push(
    'Generated by `npm run bench` (bench/run.ts) from bench/results.json; each section says when and how it was run. Figures are ratios against baselines measured in the same run (same process or same round), repeated, median with min–max, because the machine was shared with other engineers while these ran: absolute images/s and ms move with their load, the ratios much less.',
    '',
  );
  if (latest) lines.push(`Machine: ${machineLine(latest)}.`, '');
  lines.push('## Headline', '', ...headline(r), '');
  const tuning = path.join(PROJECT_ROOT, 'bench', 'tuning.md');
  if (r.model) lines.push(...modelPart(r.model));
  if (r.indexing) lines.push(...indexingPart(r.indexing));
  if (r.dedup) lines.push(...dedupPart(r.dedup));
  if (r.bigimages) lines.push(...bigImagesPart(r.bigimages, r.reindex));
  if (r.reindex) lines.push(...reindexPart(r.reindex));
  if (r.query) lines.push(...queryPart(r.query));
  if (r.memory) lines.push(...precisionPart(r.memory, r.query));
  if (r.memory || r.indexing || r.reindex) lines.push(...memoryPart(r.memory, r.indexing, r.reindex));
  if (r.hygiene) lines.push(...hygienePart(r.hygiene));
  if (existsSync(tuning)) lines.push((await fs.readFile(tuning, 'utf8')).trim(), '');
  lines.push('## Running it', '');
  lines.push(
    '```',
    'npm run bench                              # everything: ~10 min on a quiet 2-core machine, ~18 under heavy load',
    '                                           # (the first run also builds the caches, ~5 min more)',
    'npm run bench -- --quick                   # 100-image sample, one round, no 1M index (~1.5 min)',
    'npm run bench -- --only query,reindex      # sections: model, indexing, dedup, bigimages, reindex, query, memory, hygiene',
    'npm run bench -- --repeats 5 --sample 800 --seed 2 --no-peer --no-compare',
    'npm run bench -- --only indexing --threads 1 --call-size 64   # tuning experiments',
    'npm run bench -- --report-only             # rewrite RESULTS.md and the charts from results.json',
    '```',
    '',
  );
  lines.push('Caches: the stand-in model in .cache/standin/, the 8k index and the sample workspace in .cache/bench/.', '');
  const text = lines.join('\n');
  await fs.writeFile(path.join(PROJECT_ROOT, 'bench', 'RESULTS.md'), text);
  return text;
}
