// Recall@10 of the compressed vector precisions against float32, on CLIP-like synthetic
// embeddings (test/fixtures/embeddings.ts: shared direction, outlier dimensions, clusters, a
// modality gap; no real MobileCLIP weights are reachable here), through the product's VectorTable.
import { TopK } from '../../src/engine/search/topk';
import { VectorTable, type VectorDType } from '../../src/engine/search/vectors';
import { clipLikeEmbeddings } from '../../test/fixtures/embeddings';
import { progress, taskMain } from '../lib/child';

export interface RecallArgs {
  sets: Array<{ count: number; queries: number; seed: number; clusters?: number }>;
}

export interface RecallResult {
  sets: Array<{ count: number; queries: number; seed: number; clusters: number; recall: Record<VectorDType, number>; top10Gap: number }>;
}

function top10(table: VectorTable, query: Float32Array, scores: Float32Array): number[] {
  table.dotRows(query, scores);
  const top = new TopK(11);
  scores.forEach((s, i) => top.push(i, s));
  return top.sorted().map((r) => r.index);
}

taskMain<RecallArgs, RecallResult>(async (args) => {
  const out: RecallResult['sets'] = [];
  for (const spec of args.sets) {
    const set = clipLikeEmbeddings(spec);
    const clusters = spec.clusters ?? Math.max(10, Math.round(spec.count / 70));
    const exact = VectorTable.fromFloat32(set.images, set.dim, 'float32');
    const scores = new Float32Array(exact.rows);
    let gap = 0;
    const truth = set.queries.map((q) => {
      const t = top10(exact, q, scores);
      gap += exact.dotRow(t[9]!, q) - exact.dotRow(t[10]!, q);
      return new Set(t.slice(0, 10));
    });
    const recall = { float32: 1 } as Record<VectorDType, number>;
    for (const dtype of ['float16', 'int8'] as const) {
      const table = VectorTable.fromFloat32(set.images, set.dim, dtype);
      let hits = 0;
      set.queries.forEach((q, i) => {
        for (const row of top10(table, q, scores).slice(0, 10)) if (truth[i]!.has(row)) hits++;
      });
      recall[dtype] = hits / (10 * set.queries.length);
    }
    progress(`recall ${spec.count.toLocaleString('en')} images: float16 ${recall.float16.toFixed(4)}, int8 ${recall.int8.toFixed(4)}`);
    out.push({ ...spec, clusters, recall, top10Gap: gap / set.queries.length });
  }
  return { sets: out };
});
