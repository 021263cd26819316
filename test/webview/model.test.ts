// Pure view-model logic of the webviews (filter/sort/group, grid layout, keyboard navigation).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildSections, computeFacets, computeLayout, emptyFilters, navigate, rowAt, type Section } from '../../webview/common/model';
import { makeItems } from './items';

const opts = (o: Partial<Parameters<typeof buildSections>[1]> = {}) => ({
  scores: null,
  filters: emptyFilters(),
  sort: 'name' as const,
  group: 'none' as const,
  collapsed: new Set<string>(),
  ...o,
});

test('buildSections: a query keeps only scored items, ranked; filters AND across kinds, OR within', () => {
  const items = makeItems(40);
  const scores = new Map([
    ['id-3', 0.2],
    ['id-7', 0.5],
    ['id-11', 0.3],
  ]);
  const [flat] = buildSections(items, opts({ scores, sort: 'relevance' }));
  assert.deepEqual(
    flat.items.map((i) => i.id),
    ['id-7', 'id-11', 'id-3'],
  );

  const f = { tags: ['cat', 'dog'], exts: ['png'], folders: [] };
  const [filtered] = buildSections(items, opts({ filters: f }));
  const expected = items.filter((i) => i.ext === 'png' && ['cat', 'dog'].includes(i.tags[0].tag));
  assert.deepEqual(filtered.items.map((i) => i.id).sort(), expected.map((i) => i.id).sort());
  assert.ok(expected.length > 0);
});

test('buildSections: folder filter includes subfolders; groups sorted by folder, or by best match', () => {
  const items = makeItems(10).map((it, i) => ({ ...it, folder: i < 5 ? 'a/b' : i < 8 ? 'a' : 'ab' }));
  const [only] = buildSections(items, opts({ filters: { ...emptyFilters(), folders: ['a'] } }));
  assert.equal(only.items.length, 8, "'a' matches a and a/b but not ab");
  const groups = buildSections(items, opts({ group: 'folder', collapsed: new Set(['ab']) }));
  assert.deepEqual(
    groups.map((g) => [g.key, g.items.length, g.collapsed]),
    [
      ['a', 3, false],
      ['a/b', 5, false],
      ['ab', 2, true],
    ],
  );
  const scores = new Map([
    ['id-9', 0.9],
    ['id-0', 0.5],
    ['id-6', 0.1],
  ]);
  const ranked = buildSections(items, opts({ group: 'folder', scores, sort: 'relevance' }));
  assert.deepEqual(
    ranked.map((g) => g.key),
    ['ab', 'a/b', 'a'],
  );
});

test('sorting: name is natural, mtime and size descending; relevance without a query falls back to name', () => {
  const items = makeItems(3).map((it, i) => ({ ...it, name: ['img10.png', 'img9.png', 'Img2.png'][i], size: [5, 50, 500][i], mtime: [3, 1, 2][i] }));
  const ids = (sort: 'name' | 'mtime' | 'size' | 'relevance') => buildSections(items, opts({ sort }))[0].items.map((i) => i.id);
  assert.deepEqual(ids('name'), ['id-2', 'id-1', 'id-0']);
  assert.deepEqual(ids('size'), ['id-2', 'id-1', 'id-0']);
  assert.deepEqual(ids('mtime'), ['id-0', 'id-2', 'id-1']);
  assert.deepEqual(ids('relevance'), ids('name'));
});

test('computeFacets counts values, most common first', () => {
  const f = computeFacets(makeItems(16));
  assert.equal(
    f.tags.reduce((n, [, c]) => n + c, 0),
    16,
  );
  assert.deepEqual(f.tags[0], ['car', 2]);
  assert.equal(f.folders.length, 5);
  assert.ok(f.exts.every(([, c], i, a) => i === 0 || a[i - 1][1] >= c));
});

function sections(): Section<{ id: string }>[] {
  const mk = (p: string, n: number) => Array.from({ length: n }, (_, i) => ({ id: `${p}${i}` }));
  return [
    { key: 'x', label: 'x', items: mk('x', 5), collapsed: false },
    { key: 'y', label: 'y', items: mk('y', 2), collapsed: true },
    { key: 'z', label: 'z', items: mk('z', 3), collapsed: false },
  ];
}

test('computeLayout: columns from width, rows with headers, collapsed groups contribute no tiles', () => {
  const L = computeLayout(sections(), { width: 330, tileMin: 100, gap: 10, labelHeight: 20, headerHeight: 24, showHeaders: true });
  assert.equal(L.columns, 3);
  assert.ok(Math.abs(L.tileWidth - (330 - 20) / 3) < 1e-9);
  assert.deepEqual(
    L.rows.map((r) => `${r.kind}:${r.start}-${r.end}`),
    ['header:0-0', 'tiles:0-3', 'tiles:3-5', 'header:5-5', 'header:5-5', 'tiles:5-8'],
  );
  assert.deepEqual(
    L.order.map((i) => i.id),
    ['x0', 'x1', 'x2', 'x3', 'x4', 'z0', 'z1', 'z2'],
  );
  assert.deepEqual([...L.sectionStart], [0, -1, 5]);
  assert.equal(L.height, 24 * 3 + 3 * L.tileRowHeight);
  assert.equal(rowAt(L.rows, 0), 0);
  assert.equal(rowAt(L.rows, 24), 1);
  assert.equal(rowAt(L.rows, L.height + 100), L.rows.length - 1);
  assert.equal(computeLayout(sections(), { width: 50, tileMin: 100, gap: 10, labelHeight: 20, headerHeight: 24, showHeaders: false }).columns, 1, 'never fewer than one column');
});

test('navigate: arrows cross rows and headers, Home/End per row, first/last, paging clamps', () => {
  const L = computeLayout(sections(), { width: 330, tileMin: 100, gap: 10, labelHeight: 20, headerHeight: 24, showHeaders: true });
  const at = (c: { row: number; col: number }) => (L.rows[c.row].kind === 'header' ? `h${c.row}` : L.order[L.rows[c.row].start + c.col].id);
  const from = (row: number, col: number) => ({ row, col });
  assert.equal(at(navigate(L, from(1, 2), 'right', 1)), 'x3', 'right wraps to the next row');
  assert.equal(at(navigate(L, from(2, 1), 'right', 1)), 'z0', 'right skips headers into the next group');
  assert.equal(at(navigate(L, from(1, 0), 'left', 1)), 'x0', 'left stops at the first item');
  assert.equal(at(navigate(L, from(1, 2), 'down', 1)), 'x4', 'down clamps to a shorter row');
  assert.equal(at(navigate(L, from(2, 0), 'down', 1)), 'h3', 'down lands on a header');
  assert.equal(at(navigate(L, from(1, 1), 'up', 1)), 'h0');
  assert.equal(at(navigate(L, from(1, 1), 'rowEnd', 1)), 'x2');
  assert.equal(at(navigate(L, from(2, 1), 'rowStart', 1)), 'x3');
  assert.equal(at(navigate(L, from(2, 1), 'last', 1)), 'z2');
  assert.equal(at(navigate(L, from(5, 2), 'first', 1)), 'h0');
  assert.equal(at(navigate(L, from(1, 2), 'pageDown', 99)), 'z2');
  assert.equal(at(navigate(L, from(5, 1), 'pageUp', 3)), 'x4');
});
