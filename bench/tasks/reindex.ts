// Re-index of an unchanged workspace: open the cached index, run a full update. Nothing changed,
// so the run must only stat files: the embedder here refuses to embed anything, which would
// show up as failures if the indexer ever asked it to.
import type { ImageTextEmbedder } from '../../src/engine/api';
import { WorkspaceIndexer } from '../../src/engine/index/indexer';
import type { ModelInfo } from '../../src/engine/types';
import { progress, taskMain } from '../lib/child';

export interface ReindexArgs {
  root: string;
  indexDir: string;
  info: ModelInfo;
  runs: number;
}

export interface ReindexResult {
  /** Seconds to open (load + verify) the index, per run. */
  open: number[];
  /** Seconds of update() with nothing changed, per run (the figure the target is about). */
  update: number[];
  files: number;
  unchanged: number;
  indexed: number;
  failed: number;
  embedCalls: number;
}

taskMain<ReindexArgs, ReindexResult>(async (args) => {
  let embedCalls = 0;
  const embedder: ImageTextEmbedder = {
    info: args.info,
    embedImages: async (items) => {
      embedCalls++;
      return items.map((it) => ({ input: typeof it === 'string' ? it : it.path, error: 'benchmark: unchanged files must not be embedded' }));
    },
    embedTexts: async () => {
      throw new Error('not used');
    },
    dispose: async () => undefined,
  };
  const open: number[] = [];
  const update: number[] = [];
  let last: Awaited<ReturnType<WorkspaceIndexer['update']>> | undefined;
  for (let i = 0; i < args.runs; i++) {
    const t0 = performance.now();
    const indexer = await WorkspaceIndexer.open({ root: args.root, indexDir: args.indexDir, embedder });
    const t1 = performance.now();
    last = await indexer.update();
    const t2 = performance.now();
    await indexer.close();
    open.push((t1 - t0) / 1000);
    update.push((t2 - t1) / 1000);
    progress(`re-index: open ${((t1 - t0) / 1000).toFixed(2)} s, update ${((t2 - t1) / 1000).toFixed(2)} s, ${last.unchanged} unchanged`);
  }
  return {
    open,
    update,
    files: last!.total,
    unchanged: last!.unchanged,
    indexed: last!.indexed,
    failed: last!.failed.length,
    embedCalls,
  };
});
