import * as path from 'node:path';
import { standinModelDir } from '../test/fixtures/standin';
(async () => {
  const dir = await standinModelDir();
  const hf = await import('@huggingface/transformers');
  hf.env.allowRemoteModels = false; hf.env.allowLocalModels = true; hf.env.localModelPath = path.dirname(dir) + '/';
  const id = path.basename(dir);
  const processor = await hf.AutoProcessor.from_pretrained(id);
  const model = await hf.CLIPVisionModelWithProjection.from_pretrained(id, { dtype: 'fp32' });
  const files = ['/usr/share/openclipart/png/animals/' + require('fs').readdirSync('/usr/share/openclipart/png/animals')[0], '/work/shared/data/images/backgrounds/wood-l.webp'];
  for (const f of files) {
    const t = performance.now();
    const img = await hf.RawImage.read(f);
    const t1 = performance.now();
    const inputs = await processor(img);
    const t2 = performance.now();
    const out = await model(inputs);
    console.log(f, img.width, img.height, img.channels, inputs.pixel_values.dims, out.image_embeds.dims, (t1-t).toFixed(0), (t2-t1).toFixed(0), (performance.now()-t2).toFixed(0));
  }
})();
