// One list of image extensions (DEFAULT_IMAGE_EXTENSIONS in src/engine/index/scan.ts). package.json
// cannot import it, so this checks that its default include glob and its Explorer menu conditions
// name exactly those types.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_IMAGE_EXTENSIONS, DEFAULT_INCLUDE } from '../../src/engine/index/scan';
import { PROJECT_ROOT } from '../fixtures/paths';

interface Manifest {
  contributes: {
    menus: Record<string, Array<{ when?: string }>>;
    configuration: { properties: Record<string, { default?: unknown }> };
  };
}

async function manifest(): Promise<Manifest> {
  return JSON.parse(await fs.readFile(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as Manifest;
}

test("package.json's default index include is the engine's DEFAULT_INCLUDE", async () => {
  const props = (await manifest()).contributes.configuration.properties;
  assert.deepEqual(props['mobileclipAssets.index.include']?.default, DEFAULT_INCLUDE);
});

test('every Explorer menu condition on image file types accepts exactly the index image types', async () => {
  const whens = Object.values((await manifest()).contributes.menus)
    .flat()
    .map((m) => m.when ?? '');
  const all = whens.flatMap((w) => [...w.matchAll(/resourceExtname =~ \/(.+?)\/(i?)/g)].map((m) => new RegExp(m[1]!, m[2])));
  // Image menus accept some image type; menus for text files (alt text) accept none and are not checked here.
  const regexes = all.filter((re) => DEFAULT_IMAGE_EXTENSIONS.some((ext) => re.test(`.${ext}`)));
  assert.ok(regexes.length >= 3, `only ${regexes.length} image menu conditions on resourceExtname`);
  for (const re of all.filter((r) => !regexes.includes(r))) assert.ok(!re.test('.png') && !re.test('.svg'), `${re}: a menu on other file types accepts no image`);
  for (const re of regexes) {
    for (const ext of DEFAULT_IMAGE_EXTENSIONS) {
      assert.ok(re.test(`.${ext}`), `${re} rejects .${ext}`);
      assert.ok(re.test(`.${ext.toUpperCase()}`), `${re} rejects .${ext.toUpperCase()}`);
    }
    for (const other of ['.ico', '.bmp', '.txt', '.pngx', '.svgz']) assert.ok(!re.test(other), `${re} accepts ${other}`);
  }
});
