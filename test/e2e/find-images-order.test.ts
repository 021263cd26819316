// Find Images by Description lists results in the engine's order, not VS Code's quick-pick label
// sort: over a workspace whose red images have neutral names and whose blue image is named
// red-herring.png, "red" shows the red images first, in descending score, exactly as
// `mobileclip-assets search` ranks the same folder. The cut-off is 0 so that every image is
// listed: VS Code's label sort would put red-herring.png, the only label containing "red", on
// top. With mobileclipAssets.search.ranking set to "hybrid", the quick pick and
// `search --ranking hybrid` still agree row for row.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { FIXTURE_COLORS, colorModelDir } from '../fixtures/models';
import { runCli } from '../helpers/cli';
import { CMD, waitForIndexed } from './harness/assets';
import { startSession, type Session } from './harness/session';

const THRESHOLD = 0;
const RED = ['photos/IMG_0001.png', 'photos/IMG_0002.png', 'scans/scan-7.png'];
const IMAGES: Record<string, readonly [number, number, number]> = {
  [RED[0]!]: FIXTURE_COLORS.red!,
  [RED[1]!]: [205, 45, 40],
  [RED[2]!]: [175, 35, 45],
  'art/red-herring.png': FIXTURE_COLORS.blue!,
  'art/sky.png': [60, 90, 230],
  'brand/logo.png': FIXTURE_COLORS.green!,
  'brand/banner.png': FIXTURE_COLORS.yellow!,
  'misc/grass.png': [40, 160, 60],
};

interface Ranked {
  path: string;
  score: number;
}

let s: Session;

before(async () => {
  s = await startSession({
    label: 'find-images-order',
    solidColours: [],
    clipartCategories: [],
    extraImages: IMAGES,
    settings: { 'mobileclipAssets.search.threshold': THRESHOLD },
  });
});

after(async () => {
  await s?.stop();
});

/** `mobileclip-assets search QUERY --json` on the session's workspace, with the extension's settings (its own index, in the session folder). */
async function cliSearch(query: string, ranking: 'semantic' | 'hybrid'): Promise<Ranked[]> {
  const args = ['search', query, '--dir', s.workspace, '--json', '--top', '60', '--threshold', String(THRESHOLD), '--ranking', ranking, '--model', await colorModelDir()];
  const r = await runCli(args, s.dir);
  assert.equal(r.code, 0, `mobileclip-assets search failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Ranked[];
}

/** Types `query` into Find Images and reads the result rows once they are all there, top to bottom. */
async function findImages(query: string, expectedRows: number, extra: (rows: { label: string; description: string }[]) => boolean = () => true) {
  const wb = s.workbench;
  await wb.runCommand(CMD.findImages);
  await wb.waitForQuickInputTitle(/Find Images by Description/);
  await wb.pasteIntoQuickInput(query);
  const rows = await wb.waitForQuickPickRows((r) => r.filter((row) => /\.png$/.test(row.label)).length === expectedRows && extra(r), `${expectedRows} results for "${query}"`);
  return rows.map((r) => ({ ...r, path: r.detail, score: Number.parseFloat(r.description) }));
}

function assertSameRanking(rows: Ranked[], cli: Ranked[]): void {
  assert.deepEqual(
    rows.map((r) => r.path),
    cli.map((r) => r.path),
    'the quick pick lists exactly what the CLI prints, in its order',
  );
  rows.forEach((r, i) => assert.ok(Math.abs(r.score - cli[i]!.score) < 6e-4, `${r.path}: quick pick ${r.score} vs CLI ${cli[i]!.score}`));
}

test('"red" lists the red images first, by descending score, as `mobileclip-assets search` does', async (t) => {
  const wb = s.workbench;
  try {
    await waitForIndexed(wb, Object.keys(IMAGES).length);
    const cli = await cliSearch('red', 'semantic');
    t.diagnostic(`CLI: ${cli.map((r) => `${r.path} ${r.score}`).join(' | ')}`);
    const rows = await findImages('red', cli.length);
    await wb.screenshot('red');
    t.diagnostic(`quick pick: ${rows.map((r) => `${r.label} ${r.description}`).join(' | ')}`);

    assert.deepEqual(
      rows.slice(0, RED.length).map((r) => r.path),
      RED,
      'the red images come first, reddest first',
    );
    for (let i = 1; i < rows.length; i++) assert.ok(rows[i - 1]!.score >= rows[i]!.score, `descending scores: ${rows[i - 1]!.score} then ${rows[i]!.score}`);
    const herring = rows.findIndex((r) => r.label === 'red-herring.png');
    assert.ok(herring >= RED.length, `the blue red-herring.png is listed (row ${herring}) below every red image`);
    assertSameRanking(rows, cli);
  } catch (err) {
    await wb.screenshot('failure').catch(() => undefined);
    throw new Error(`${(err as Error).message}\n${await s.logs()}`);
  }
});

test('with hybrid ranking, red-herring.png is listed below the red images, and the quick pick still matches the CLI', async (t) => {
  const wb = s.workbench;
  try {
    // Settings are read at each search: changing the settings files is enough.
    for (const scope of ['User', 'Machine']) {
      const settingsFile = path.join(s.dir, 'user-data', scope, 'settings.json');
      const settings = JSON.parse(await fs.readFile(settingsFile, 'utf8')) as Record<string, unknown>;
      await fs.writeFile(settingsFile, JSON.stringify({ ...settings, 'mobileclipAssets.search.ranking': 'hybrid' }, null, 2));
    }

    const cli = await cliSearch('red', 'hybrid');
    t.diagnostic(`CLI: ${cli.map((r) => `${r.path} ${r.score}`).join(' | ')}`);
    const rows = await findImages('red', cli.length, (r) => r.some((row) => /name match/.test(row.description)));
    await wb.screenshot('red-hybrid');
    t.diagnostic(`quick pick: ${rows.map((r) => `${r.label} ${r.description}`).join(' | ')}`);
    assert.deepEqual(
      rows.slice(0, RED.length).map((r) => r.path),
      RED,
      'the red images keep the top',
    );
    const herring = rows.findIndex((r) => r.label === 'red-herring.png');
    assert.ok(herring >= RED.length, 'red-herring.png comes after every red image');
    assert.match(rows[herring]!.description, /name match/);
    assertSameRanking(rows, cli);

    const logoCli = await cliSearch('logo', 'hybrid');
    const logoRows = await findImages('logo', logoCli.length, (r) => r.some((row) => /name match/.test(row.description)));
    await wb.screenshot('logo-hybrid');
    t.diagnostic(`"logo": ${logoRows.map((r) => `${r.label} ${r.description}`).join(' | ')}`);
    const semanticRank = (await cliSearch('logo', 'semantic')).findIndex((r) => r.path === 'brand/logo.png');
    const hybridRank = logoRows.findIndex((r) => r.path === 'brand/logo.png');
    assert.ok(hybridRank >= 0 && hybridRank < semanticRank, `logo.png moves up with its name: ${semanticRank} -> ${hybridRank}`);
    assertSameRanking(logoRows, logoCli);
  } catch (err) {
    await wb.screenshot('failure').catch(() => undefined);
    throw new Error(`${(err as Error).message}\n${await s.logs()}`);
  }
});
