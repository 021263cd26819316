// A committed captions.json with entries the extension cannot use (a path that escapes the folder,
// an entry that is not an object): the user is told in one warning, and the file keeps them.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { startSession, type Session } from './harness/session';
import { waitUntil } from './harness/workbench';

let s: Session;

before(async () => {
  s = await startSession({ label: 'ignored-captions' });
});

after(async () => {
  await s?.stop();
});

test('entries of a captions.json that cannot be used are shown in a warning, not dropped silently', async () => {
  const wb = s.workbench;
  const file = path.join(s.workspace, 'images', '.mobileclip', 'captions.json');
  const images = {
    '../../../home/user/.ssh/id_rsa': { generated: ['a key'] },
    'green.png': 'not an object',
    'red.png': { generated: ['a red square'] },
  };
  try {
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, JSON.stringify({ format: 'mobileclip-assets/captions', version: 1, runs: {}, images }, null, 2));
    const message = await waitUntil(
      async () => (await wb.notificationMessages()).find((m) => /could not be used/.test(m)),
      (m) => m !== undefined,
      'a warning about the ignored captions entries',
      120_000,
    );
    await wb.screenshot('ignored-captions-warning');
    assert.match(message!, /2 entries of images\/\.mobileclip\/captions\.json could not be used and were left as they are/);
    assert.match(message!, /path outside the folder/);
    const kept = JSON.parse(await fs.readFile(file, 'utf8')) as { images: Record<string, unknown> };
    assert.deepEqual(kept.images, images, 'the file is unchanged');
  } catch (err) {
    await wb.screenshot('failure').catch(() => undefined);
    throw new Error(`${(err as Error).message}\n${await s.logs()}`);
  }
});
