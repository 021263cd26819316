// The extension's path: captions run in the Engine's own worker process (one process for
// embeddings and captions), using the decode options the Engine was loaded with.
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { Engine } from '../../src/engine/engine';
import { resolveCaptioner } from '../../src/engine/captions/models';
import { captionImages } from '../../src/engine/captions/run';
import { resolveModel } from '../../src/engine/models/resolve';
import { isItemError } from '../../src/engine/types';
import { captionerModelDir } from '../fixtures/captioner';
import { writeSolidImage } from '../fixtures/images';
import { FIXTURE_COLORS, colorModelDir } from '../fixtures/models';

const work = path.resolve(__dirname, '../../.cache/test-captions', `engine-${process.pid}`);
after(async () => {
  await fs.rm(work, { recursive: true, force: true });
});

test('an Engine captions in the same worker process that embeds, with its background setting', async () => {
  const cacheDir = path.join(work, 'cache');
  // Fully transparent images: what they look like depends on the background they are flattened onto.
  const clear = await writeSolidImage(path.join(work, 'data', 'clear.png'), [0, 0, 0], { alpha: 0 });
  const engine = await Engine.create(await resolveModel(await colorModelDir(), { cacheDir }), { background: '#1e3cdc' });
  try {
    const pid = engine.workerPid;
    const captioner = await resolveCaptioner(await captionerModelDir(), { cacheDir });
    const s = await captionImages(engine, [clear], { root: path.join(work, 'data'), captioner, settings: { count: 3 } });
    assert.equal(s.generated, 1);
    const r = s.results[0]!;
    assert.ok(!('error' in r));
    assert.ok(
      r.captions.some((c) => c.split(' ').includes('blue')),
      `flattened onto blue: ${JSON.stringify(r.captions)}`,
    );
    assert.equal(engine.workerPid, pid, 'no second worker process');
    const [emb] = await engine.embedImages([await writeSolidImage(path.join(work, 'data', 'red.png'), FIXTURE_COLORS.red!)]);
    assert.ok(!isItemError(emb!), 'embedding still works after captioning');
    assert.equal(engine.workerPid, pid);
  } finally {
    await engine.dispose();
  }
});
