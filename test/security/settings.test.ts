// Issue 12, hole 3: untrusted workspaces could switch off the memory bounds
// (`mobileclipAssets.maxImageMegapixels: 0` in a repository's .vscode/settings.json disabled the
// decompression-bomb guard). Now the bound settings are restricted (read from user/remote settings
// only in untrusted workspaces), every number is clamped to one table whatever its source, and the
// worker bounds what it is given even when a caller passes 0.
import assert from 'node:assert/strict';
import { promises as fs, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { Engine } from '../../src/engine/engine';
import { resolveModel } from '../../src/engine/models/resolve';
import { isItemError } from '../../src/engine/types';
import { boundedEngineOptions, clampSetting, LIMITS, maxFileSizeBytesFromMB, maxPixelsFromMegapixels, MAX_IMAGE_FILE_BYTES } from '../../src/engine/util/limits';
import { RESTRICTED_SETTINGS, settingValue, type ConfigLike } from '../../src/extension/settingsAccess';
import { colorModelDir } from '../fixtures/models';
import { hugeDimensionsPng } from '../fixtures/images';
import { PROJECT_ROOT } from '../fixtures/paths';

const pkg = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as {
  capabilities: { untrustedWorkspaces: { restrictedConfigurations: string[] } };
  contributes: { configuration: { properties: Record<string, { minimum?: number; maximum?: number; type?: string }> } };
};

/** A workspace whose .vscode/settings.json says `workspace`, over user settings `user`. */
function config(workspace: Record<string, unknown>, user: Record<string, unknown> = {}): ConfigLike {
  return {
    get: <T>(key: string) => (key in workspace ? workspace[key] : user[key]) as T | undefined,
    inspect: <T>(key: string) => ({ globalValue: user[key] as T | undefined }),
  };
}

test('maxImageMegapixels, index.maxFileSizeMB, index.location and tags.writeXmpSidecars are restricted, like the model settings', () => {
  const declared = pkg.capabilities.untrustedWorkspaces.restrictedConfigurations;
  for (const key of ['maxImageMegapixels', 'index.maxFileSizeMB', 'index.location', 'tags.writeXmpSidecars', 'model', 'modelHost']) {
    assert.ok(declared.includes(`mobileclipAssets.${key}`), key);
  }
  // The code reads exactly the keys VS Code is told about.
  assert.deepEqual([...declared].sort(), RESTRICTED_SETTINGS.map((k) => `mobileclipAssets.${k}`).sort());
});

test('in an untrusted workspace a repository cannot set them; in a trusted one the number is still clamped', () => {
  const hostile = config({ maxImageMegapixels: 0, 'index.location': 'repository', 'index.maxFileSizeMB': 1e9, 'search.maxResults': 5 });
  assert.equal(settingValue(hostile, 'maxImageMegapixels', 100, false), 100);
  assert.equal(settingValue(hostile, 'index.location', 'workspaceStorage', false), 'workspaceStorage');
  assert.equal(settingValue(hostile, 'search.maxResults', 60, false), 5, 'harmless settings still come from the workspace');
  // The user's own value counts.
  assert.equal(settingValue(config({ maxImageMegapixels: 0 }, { maxImageMegapixels: 250 }), 'maxImageMegapixels', 100, false), 250);
  // Trusted: read, then clamped: 0 can no longer mean "no limit".
  assert.equal(clampSetting('maxImageMegapixels', settingValue(hostile, 'maxImageMegapixels', 100, true), 100), 1);
  assert.equal(maxPixelsFromMegapixels(0), 1_000_000);
  assert.equal(maxPixelsFromMegapixels(Number.POSITIVE_INFINITY), 100_000_000, 'not a finite number: the default');
  assert.equal(maxPixelsFromMegapixels(1e9), 2_000_000_000);
  assert.equal(maxFileSizeBytesFromMB(1e9), MAX_IMAGE_FILE_BYTES);
  assert.equal(maxFileSizeBytesFromMB(0), MAX_IMAGE_FILE_BYTES, '0 = up to the hard cap, never unlimited');
  assert.equal(clampSetting('batchSize', 1e9, 16), 256);
  assert.equal(clampSetting('threads', -3, 0), 0);
  assert.equal(clampSetting('search.threshold', 'high', 0.175), 0.175);
});

test('package.json shows the same ranges the code enforces', () => {
  const props = pkg.contributes.configuration.properties;
  for (const [key, limit] of Object.entries(LIMITS)) {
    const p = props[`mobileclipAssets.${key}`];
    if (!p) continue; // a CLI-only flag
    assert.equal(p.minimum, limit.min, `${key} minimum`);
    assert.equal(p.maximum, limit.max, `${key} maximum`);
  }
  for (const [key, p] of Object.entries(props)) {
    if (p.type === 'number' || p.type === 'integer') assert.ok(key.slice('mobileclipAssets.'.length) in LIMITS, `${key} has no range in util/limits.ts`);
  }
});

const work = path.join(PROJECT_ROOT, '.cache', 'test-security-settings', String(process.pid));
after(() => fs.rm(work, { recursive: true, force: true }));

test('a worker told maxPixels 0 (what "maxImageMegapixels: 0" used to become) still refuses a decompression bomb', async () => {
  assert.equal(boundedEngineOptions({ maxPixels: 0 }, 100e6).maxPixels, 100e6);
  await fs.mkdir(work, { recursive: true });
  const bomb = path.join(work, 'bomb.png');
  await fs.writeFile(bomb, hugeDimensionsPng(100_000, 100_000)); // 10 GP: 30 GB of RGB once decoded
  const engine = await Engine.create(await resolveModel(await colorModelDir(), { cacheDir: path.join(work, 'cache') }), { maxPixels: 0 });
  try {
    const [r] = await engine.embedImages([bomb]);
    assert.ok(isItemError(r!), 'the bomb was decoded');
    assert.match(r.error, /image is 100000×100000 = 10000 MP, above the 1500 MP limit/);
  } finally {
    await engine.dispose();
  }
});
