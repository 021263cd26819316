// The peer: the same model folder and images through @huggingface/transformers the way a Node
// user would write it today (AutoProcessor + CLIPVisionModelWithProjection, one image at a time).
import * as path from 'node:path';
import { progress, taskMain } from '../lib/child';

export interface PeerArgs {
  modelDir: string;
  files: string[];
}

export interface PeerResult {
  seconds: number;
  embedded: number;
  rate: number;
  cpuPerImage: number;
  failures: Array<{ input: string; error: string }>;
  loadSeconds: number;
}

taskMain<PeerArgs, PeerResult>(async (args) => {
  const hf = await import('@huggingface/transformers');
  hf.env.allowRemoteModels = false;
  hf.env.allowLocalModels = true;
  hf.env.localModelPath = `${path.dirname(args.modelDir)}/`;
  const id = path.basename(args.modelDir);
  const l0 = performance.now();
  const processor = await hf.AutoProcessor.from_pretrained(id);
  const model = await hf.CLIPVisionModelWithProjection.from_pretrained(id, { dtype: 'fp32' });
  const loadSeconds = (performance.now() - l0) / 1000;
  const failures: PeerResult['failures'] = [];
  let embedded = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let last = t0;
  for (const file of args.files) {
    try {
      const image = await hf.RawImage.read(file);
      const inputs = await processor(image);
      const { image_embeds } = await model(inputs);
      if (!image_embeds?.dims?.length) throw new Error('no image_embeds');
      embedded++;
    } catch (err) {
      failures.push({ input: file, error: (err as Error).message.split('\n')[0]!.slice(0, 200) });
    }
    if (performance.now() - last > 10_000) {
      last = performance.now();
      progress(`peer: ${embedded + failures.length}/${args.files.length}`);
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(cpu0);
  await model.dispose();
  return {
    seconds,
    embedded,
    rate: embedded / seconds,
    cpuPerImage: (c.user + c.system) / 1e6 / Math.max(1, embedded),
    failures,
    loadSeconds,
  };
});
