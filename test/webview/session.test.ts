// Host side of the webviews without VS Code: WebviewSession against a fake AssetBackend.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { HostToWebview, IndexingProgress, ModelStatus, WebviewToHost } from '../../src/shared/messages';
import { ITEMS_CHUNK } from '../../src/shared/messages';
import type { AssetBackend, BackendItem, DuplicatesBackend, DuplicatesState, ItemsDelta, ResultSet } from '../../src/extension/webview/backend';
import { DeltaBuffer, WebviewSession, toAssetItem } from '../../src/extension/webview/session';

function emitter<T>() {
  const listeners = new Set<(e: T) => unknown>();
  return {
    subscribe: (l: (e: T) => unknown) => {
      listeners.add(l);
      return { dispose: () => listeners.delete(l) };
    },
    fire: (e: T) => listeners.forEach((l) => l(e)),
    get size() {
      return listeners.size;
    },
  };
}

function backendItem(i: number, thumb = true): BackendItem {
  return {
    id: `b${i}`,
    relPath: `pics/p${i}.png`,
    name: `p${i}.png`,
    folder: 'pics',
    ext: 'png',
    size: 100 + i,
    mtime: 1000 + i,
    width: 10,
    height: 20,
    tags: [],
    captions: [],
    path: `/ws/pics/p${i}.png`,
    thumbnailPath: thumb ? `/cache/t${i}.webp` : null,
  };
}

function setup(n: number, over: Partial<AssetBackend> = {}) {
  const calls: [string, unknown][] = [];
  const items = emitter<ItemsDelta>();
  const progress = emitter<IndexingProgress>();
  const status = emitter<ModelStatus>();
  let currentStatus: ModelStatus = { kind: 'ready', modelName: 'M' };
  const all = Array.from({ length: n }, (_, i) => backendItem(i, i % 2 === 0));
  const rec = (name: string) => async (arg?: unknown) => {
    calls.push([name, arg]);
  };
  const backend: AssetBackend = {
    thumbnailRoots: ['/cache'],
    getStatus: () => currentStatus,
    getProgress: () => ({ running: false, done: 0, total: 0, etaSeconds: null, failed: [] }),
    listItems: async () => all,
    getItems: async (ids) => ids.map((id) => all.find((it) => it.id === id)).filter((x): x is BackendItem => !!x),
    // 'bad' is a known image whose thumbnail cannot be made.
    isKnownItem: (id) => id === 'bad' || all.some((it) => it.id === id),
    search: async (q) => {
      if (q === 'boom') throw new Error('model not ready');
      return {
        ranked: true,
        results: [
          { id: 'b3', score: 0.3 },
          { id: 'b1', score: 0.2 },
        ],
        noGoodMatch: false,
        bestScore: 0.3,
      };
    },
    thumbnails: async (ids) => ids.map((id) => (id === 'bad' ? { id, thumbnailPath: null, error: 'corrupt' } : { id, thumbnailPath: `/cache/${id}.webp`, width: 5, height: 6 })),
    findSimilar: async (id) => ({ query: id, title: `Similar to ${id}`, items: [{ ...all[0], score: 1 }], noGoodMatch: false, bestScore: 1 }),
    open: rec('open'),
    reveal: rec('reveal'),
    copyPaths: rec('copyPaths'),
    copyMarkdownLinks: rec('copyMarkdownLinks'),
    generateCaptions: rec('generateCaptions'),
    editTags: rec('editTags'),
    downloadModel: rec('downloadModel'),
    modelAction: rec('modelAction'),
    restartWorker: rec('restartWorker'),
    openSettings: rec('openSettings'),
    openFolder: rec('openFolder'),
    onDidChangeItems: items.subscribe,
    onDidChangeProgress: progress.subscribe,
    onDidChangeStatus: status.subscribe,
    ...over,
  };
  const posted: HostToWebview[] = [];
  const shown: ResultSet[] = [];
  const errors: string[] = [];
  const host = {
    post: (m: HostToWebview) => posted.push(m),
    toWebviewUri: (p: string) => `https://webview${p}`,
    toFileUri: (p: string) => `file://${p}`,
    showResults: (r: ResultSet) => shown.push(r),
    showError: (m: string) => errors.push(m),
  };
  const setStatus = (s: ModelStatus) => {
    currentStatus = s;
    status.fire(s);
  };
  return { backend, calls, posted, shown, errors, host, items, progress, setStatus, emitters: { items, progress, status } };
}

test('toAssetItem converts paths to webview and file URIs and drops host paths', () => {
  const it = toAssetItem(backendItem(1), { toWebviewUri: (p) => `W:${p}`, toFileUri: (p) => `F:${p}` }, 0.5);
  assert.equal(it.thumbnail, 'W:/cache/t1.webp');
  assert.equal(it.uri, 'F:/ws/pics/p1.png');
  assert.equal(it.score, 0.5);
  assert.ok(!('path' in it) && !('thumbnailPath' in it));
  assert.equal(toAssetItem(backendItem(2, false), { toWebviewUri: String, toFileUri: String }).thumbnail, null);
});

test('gallery: nothing is posted before ready; ready sends init then the list in chunks', async () => {
  const n = ITEMS_CHUNK * 2 + 5;
  const s = setup(n);
  const session = new WebviewSession('gallery', s.backend, s.host);
  s.emitters.progress.fire({ running: true, done: 1, total: 2, etaSeconds: 1, failed: [] });
  assert.equal(s.posted.length, 0);
  await session.handle({ type: 'ready' });
  const [init, ...chunks] = s.posted;
  assert.deepEqual(init, { type: 'init', status: s.backend.getStatus(), progress: s.backend.getProgress(), total: n });
  assert.deepEqual(
    chunks.map((c) => c.type === 'items' && [c.items.length, c.done]),
    [
      [ITEMS_CHUNK, false],
      [ITEMS_CHUNK, false],
      [5, true],
    ],
  );
  const gens = new Set(chunks.map((c) => (c as { generation: number }).generation));
  assert.equal(gens.size, 1);
  // A reload of the webview starts a new generation.
  s.posted.length = 0;
  await session.handle({ type: 'ready' });
  assert.ok(s.posted.filter((m) => m.type === 'items').every((m) => !gens.has((m as { generation: number }).generation)));
  session.dispose();
  assert.equal(s.emitters.items.size + s.emitters.progress.size + s.emitters.status.size, 0, 'unsubscribed on dispose');
});

test('search answers with the request seq; failures become an error result, not an exception', async () => {
  const s = setup(5);
  const session = new WebviewSession('gallery', s.backend, s.host);
  await session.handle({ type: 'ready' });
  s.posted.length = 0;
  await session.handle({ type: 'search', seq: 7, query: 'red' });
  await session.handle({ type: 'search', seq: 8, query: 'boom' });
  assert.deepEqual(s.posted, [
    {
      type: 'searchResults',
      ranked: true,
      seq: 7,
      query: 'red',
      results: [
        { id: 'b3', score: 0.3 },
        { id: 'b1', score: 0.2 },
      ],
      noGoodMatch: false,
      bestScore: 0.3,
    },
    { type: 'searchResults', ranked: false, seq: 8, query: 'boom', results: [], noGoodMatch: false, bestScore: null, error: 'model not ready' },
  ]);
  assert.deepEqual(s.errors, []);
});

test('a newer search aborts the older one; its late answer is not posted', async () => {
  let release!: () => void;
  const s = setup(3, {
    search: (q, signal) =>
      new Promise((resolve) => {
        const answer = () => resolve({ ranked: true, results: [{ id: 'b0', score: q === 'slow' ? 0.1 : 0.2 }], noGoodMatch: false, bestScore: 0.2 });
        if (q === 'slow') release = answer;
        else answer();
        void signal;
      }),
  });
  const session = new WebviewSession('gallery', s.backend, s.host);
  await session.handle({ type: 'ready' });
  s.posted.length = 0;
  const slow = session.handle({ type: 'search', seq: 1, query: 'slow' });
  await session.handle({ type: 'search', seq: 2, query: 'fast' });
  release();
  await slow;
  assert.deepEqual(
    s.posted.map((m) => m.type === 'searchResults' && m.seq),
    [2],
  );
});

test('thumbnails are converted to webview URIs; failures carry their error', async () => {
  const s = setup(3);
  const session = new WebviewSession('gallery', s.backend, s.host);
  await session.handle({ type: 'ready' });
  s.posted.length = 0;
  await session.handle({ type: 'requestThumbnails', ids: ['b1', 'bad'] });
  assert.deepEqual(s.posted, [
    {
      type: 'thumbnails',
      updates: [
        { id: 'b1', thumbnail: 'https://webview/cache/b1.webp', width: 5, height: 6, error: undefined },
        { id: 'bad', thumbnail: null, width: undefined, height: undefined, error: 'corrupt' },
      ],
    },
  ]);
});

test('actions go to the backend; selection is remembered; thrown errors are shown, not rethrown', async () => {
  const s = setup(3, {
    editTags: async () => {
      throw new Error('tags file is read-only');
    },
  });
  const session = new WebviewSession('gallery', s.backend, s.host);
  const msgs: WebviewToHost[] = [
    { type: 'open', ids: ['b1'] },
    { type: 'reveal', id: 'b2' },
    { type: 'copyPath', ids: ['b1', 'b2'] },
    { type: 'copyMarkdownLink', ids: ['b0'] },
    { type: 'generateCaptions', ids: ['b0'] },
    { type: 'downloadModel' },
    { type: 'restartWorker' },
    { type: 'openSettings', query: 'x' },
    { type: 'openFolder' },
    { type: 'selectionChanged', ids: ['b0', 'b2'] },
    { type: 'editTags', ids: ['b0'] },
  ];
  for (const m of msgs) await session.handle(m);
  assert.deepEqual(s.calls, [
    ['open', ['b1']],
    ['reveal', 'b2'],
    ['copyPaths', ['b1', 'b2']],
    ['copyMarkdownLinks', ['b0']],
    ['generateCaptions', ['b0']],
    ['downloadModel', undefined],
    ['restartWorker', undefined],
    ['openSettings', 'x'],
    ['openFolder', undefined],
  ]);
  assert.deepEqual(session.selection, ['b0', 'b2']);
  assert.deepEqual(s.errors, ['tags file is read-only']);
});

test('findSimilar and openAllInPanel open the results panel (scores from the last search)', async () => {
  const s = setup(5);
  const session = new WebviewSession('gallery', s.backend, s.host);
  await session.handle({ type: 'ready' });
  await session.handle({ type: 'findSimilar', id: 'b0' });
  assert.equal(s.shown[0].title, 'Similar to b0');
  await session.handle({ type: 'search', seq: 1, query: 'red' });
  await session.handle({ type: 'openAllInPanel', query: 'red', ids: ['b3', 'b1', 'nope'] });
  const r = s.shown[1];
  assert.equal(r.query, 'red');
  assert.deepEqual(
    r.items.map((it) => [it.id, it.score]),
    [
      ['b3', 0.3],
      ['b1', 0.2],
    ],
  );
  assert.equal(r.bestScore, 0.3);
});

test('results session: results wait for ready and are re-sent when the webview reloads', async () => {
  const s = setup(3);
  const session = new WebviewSession('results', s.backend, s.host);
  session.showResults({ query: 'q', items: [{ ...backendItem(1), score: 0.4 }], noGoodMatch: true, bestScore: 0.4 });
  assert.equal(s.posted.length, 0);
  await session.handle({ type: 'ready' });
  await session.handle({ type: 'ready' });
  assert.equal(s.posted.length, 2);
  const m = s.posted[1];
  assert.ok(m.type === 'results');
  assert.equal(m.items[0].score, 0.4);
  assert.equal(m.items[0].thumbnail, 'https://webview/cache/t1.webp');
  assert.equal(m.noGoodMatch, true);
  // Progress/status are gallery concerns.
  s.emitters.progress.fire({ running: true, done: 1, total: 2, etaSeconds: null, failed: [] });
  assert.equal(s.posted.length, 2);
});

test('deltas are merged into one message; an item added then removed never reaches the webview', async () => {
  const buf = new DeltaBuffer();
  buf.push({ added: [backendItem(1)], changed: [], removed: [] });
  buf.push({ added: [], changed: [{ ...backendItem(1), name: 'x.png' }, backendItem(2)], removed: [] });
  buf.push({ added: [backendItem(3)], changed: [], removed: ['b3', 'b4'] });
  const d = buf.take();
  assert.deepEqual(
    d.added.map((i) => [i.id, i.name]),
    [['b1', 'x.png']],
  );
  assert.deepEqual(
    d.changed.map((i) => i.id),
    ['b2'],
  );
  assert.deepEqual(d.removed, ['b4']);
  assert.ok(buf.empty);

  const s = setup(2);
  const session = new WebviewSession('gallery', s.backend, s.host);
  await session.handle({ type: 'ready' });
  s.posted.length = 0;
  s.emitters.items.fire({ added: [backendItem(7)], changed: [], removed: [] });
  s.emitters.items.fire({ added: [], changed: [], removed: ['b0'] });
  session.flushDeltas();
  assert.deepEqual(
    s.posted.map((m) => m.type === 'itemsDelta' && [m.added.map((i) => i.uri), m.removed]),
    [[['file:///ws/pics/p7.png'], ['b0']]],
  );
  session.dispose();
});

test('status changes reach the gallery; recovering from a worker crash resends the list', async () => {
  const s = setup(2);
  const session = new WebviewSession('gallery', s.backend, s.host);
  await session.handle({ type: 'ready' });
  s.posted.length = 0;
  s.setStatus({ kind: 'workerCrashed', message: 'SIGKILL' });
  s.setStatus({ kind: 'ready', modelName: 'M' });
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(
    s.posted.slice(0, 2).map((m) => m.type === 'modelStatus' && m.status.kind),
    ['workerCrashed', 'ready'],
  );
  assert.ok(
    s.posted.some((m) => m.type === 'init'),
    'full list resent after recovery',
  );
  session.dispose();
});

test('setQuery before ready is delivered after the list', async () => {
  const s = setup(1);
  const session = new WebviewSession('gallery', s.backend, s.host);
  session.setQuery('boats');
  await session.handle({ type: 'ready' });
  assert.deepEqual(s.posted.at(-1), { type: 'setQuery', query: 'boats' });
});

test('messages naming paths the host never listed are refused and logged; malformed messages too (issue 12)', async () => {
  const s = setup(3);
  const warnings: string[] = [];
  const session = new WebviewSession('gallery', s.backend, { ...s.host, warn: (m: string) => warnings.push(m) });
  await session.handle({ type: 'ready' });
  // What a compromised webview would send: absolute paths of files the user never saw in it.
  const attacks: unknown[] = [
    { type: 'open', ids: ['/etc/passwd'] },
    { type: 'reveal', id: '/home/user/.ssh/id_rsa' },
    { type: 'copyPath', ids: ['/home/user/.ssh/id_rsa'] },
    { type: 'copyMarkdownLink', ids: ['/etc/shadow'] },
    { type: 'generateCaptions', ids: ['/home/user/private.png'] },
    { type: 'editTags', ids: ['/tmp/x.png'] },
    { type: 'findSimilar', id: '/home/user/private.png' },
    { type: 'openAllInPanel', query: 'x', ids: ['/etc/passwd'] },
    // Not the protocol at all.
    null,
    'open',
    { type: 'open', ids: '/etc/passwd' },
    { type: 'open', ids: [42] },
    { type: 'reveal' },
    { type: 'runShell', command: 'rm -rf ~' },
    { type: 'search', seq: 'x', query: 'a' },
    { type: 'openSettings', query: 7 },
  ];
  for (const m of attacks) await session.handle(m);
  assert.deepEqual(s.calls, [], 'no action reached the backend');
  assert.deepEqual(s.shown, [], 'no results panel opened');
  assert.equal(warnings.length, attacks.length, warnings.join('\n'));
  assert.ok(warnings.every((w) => w.startsWith('refused a message from the gallery webview: ')));
  assert.match(warnings[0]!, /"open" names 1 unknown item \("\/etc\/passwd"\)/);
  assert.match(warnings.at(-3)!, /unknown message type "runShell"/);

  // Known ids still work; unknown ones in the same list are dropped.
  await session.handle({ type: 'copyPath', ids: ['b1', '/etc/passwd', 'b2'] });
  assert.deepEqual(s.calls, [['copyPaths', ['b1', 'b2']]]);
  // Thumbnails of unknown ids are answered as failed, never generated.
  s.posted.length = 0;
  await session.handle({ type: 'requestThumbnails', ids: ['b1', '/etc/passwd'] });
  const m = s.posted[0];
  assert.ok(m?.type === 'thumbnails');
  assert.deepEqual(
    m.updates.map((u) => [u.id, u.thumbnail === null, u.error]),
    [
      ['b1', false, undefined],
      ['/etc/passwd', true, 'not an image of this workspace'],
    ],
  );
  // A context-menu selection is limited to known items as well.
  await session.handle({ type: 'selectionChanged', ids: ['b0', '/etc/passwd'] });
  assert.deepEqual(session.selection, ['b0']);
});

test('the results panel also accepts the items of its own result set', async () => {
  const s = setup(1);
  const session = new WebviewSession('results', s.backend, s.host);
  const extra = { ...backendItem(9), id: '/elsewhere/r.png', path: '/elsewhere/r.png', score: 0.5 };
  session.showResults({ query: 'q', items: [extra], noGoodMatch: false, bestScore: 0.5 });
  await session.handle({ type: 'ready' });
  await session.handle({ type: 'open', ids: ['/elsewhere/r.png'] });
  assert.deepEqual(s.calls, [['open', ['/elsewhere/r.png']]]);
});

test('Duplicates mode: state is pushed to the gallery (and again on a reload), actions reach the backend with known ids only', async () => {
  const changes = emitter<DuplicatesState>();
  let state: DuplicatesState | undefined;
  const keeps: [string, readonly string[]][] = [];
  const nots: (readonly string[])[] = [];
  let finds = 0;
  const duplicates: DuplicatesBackend = {
    current: () => state,
    find: async () => void finds++,
    keep: async (id, others) => void keeps.push([id, others]),
    notDuplicates: async (ids) => void nots.push(ids),
    onDidChange: changes.subscribe,
  };
  const s = setup(4, { duplicates });
  const gallery = new WebviewSession('gallery', s.backend, s.host);
  const results = new WebviewSession('results', s.backend, s.host);
  gallery.setMode('duplicates'); // the command ran before the view existed
  await gallery.handle({ type: 'ready' });
  assert.ok(
    s.posted.some((m) => m.type === 'setMode' && m.mode === 'duplicates'),
    'the pending mode is sent once ready',
  );
  s.posted.length = 0;
  state = { state: 'done', groups: [{ ids: ['b0', 'b1'], bytesWasted: 100, similarity: 0.95, exact: false }], images: 4 };
  changes.fire(state);
  assert.deepEqual(s.posted, [{ type: 'duplicates', ...state }], 'the gallery gets it; the results panel does not');
  s.posted.length = 0;
  await gallery.handle({ type: 'ready' });
  assert.ok(
    s.posted.some((m) => m.type === 'duplicates'),
    'a reloaded view gets the groups again',
  );

  await gallery.handle({ type: 'findDuplicates' });
  await gallery.handle({ type: 'keepDuplicate', id: 'b0', others: ['b1', '/etc/passwd', 'b0'] });
  await gallery.handle({ type: 'keepDuplicate', id: 'b0', others: ['/etc/passwd'] });
  await gallery.handle({ type: 'keepDuplicate', id: '/etc/passwd', others: ['b1'] });
  await gallery.handle({ type: 'notDuplicates', ids: ['b0', 'b1'] });
  await gallery.handle({ type: 'keepDuplicate', id: 'b0', others: 'b1' });
  assert.equal(finds, 1);
  assert.deepEqual(keeps, [['b0', ['b1']]], 'unknown ids and the kept file itself are dropped; nothing left: no call');
  assert.deepEqual(nots, [['b0', 'b1']]);
  assert.deepEqual(s.errors, []);
  gallery.dispose();
  results.dispose();
  assert.equal(changes.size, 0, 'unsubscribed on dispose');
});
