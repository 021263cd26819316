import * as ort from 'onnxruntime-node';
import { standinModelDir } from '../test/fixtures/standin';
(async () => {
  const dir = await standinModelDir();
  for (const threads of [0, 1]) {
  const s = await ort.InferenceSession.create(dir + '/onnx/vision_model.onnx', { graphOptimizationLevel: 'all', ...(threads ? { intraOpNumThreads: threads } : {}) });
  for (const b of [1, 4, 16]) {
    const x = new ort.Tensor('float32', new Float32Array(b * 3 * 256 * 256).map(() => Math.random()), [b, 3, 256, 256]);
    await s.run({ pixel_values: x });
    const t = performance.now(); let n = 0;
    while (performance.now() - t < 3000) { await s.run({ pixel_values: x }); n += b; }
    const r = await s.run({ pixel_values: x });
    console.log('threads', threads, 'batch', b, (n / ((performance.now() - t) / 1000)).toFixed(1), 'img/s', Array.from((r.image_embeds.data as Float32Array).slice(0, 3)));
  }
  }
  const t = await ort.InferenceSession.create(dir + '/onnx/text_model.onnx', { graphOptimizationLevel: 'all' });
  const ids = new BigInt64Array(77); ids[0] = 49406n; ids[1] = 320n; ids[2] = 49407n;
  const x = new ort.Tensor('int64', ids, [1, 77]);
  await t.run({ input_ids: x });
  const t0 = performance.now(); for (let i = 0; i < 10; i++) await t.run({ input_ids: x });
  const r = await t.run({ input_ids: x });
  console.log('text ms', (performance.now() - t0) / 10, Array.from((r.text_embeds.data as Float32Array).slice(0, 3)));
})();
