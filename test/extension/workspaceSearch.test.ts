// Search over several workspace folders (src/extension/assets/workspaceSearch.ts): each folder's
// hits ranked together, cut to the result count, caption matches added after them, filter-only
// queries listed without the model, and one sentence when the model is not there. The folders'
// indexes are stand-ins that answer with given hits; the `vscode` module is the stand-in one.
import { fake } from '../helpers/fakeVscode';
import { test, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import type { Engine } from '../../src/engine/engine';
import type { SearchResponse } from '../../src/engine/search/search';
import { QueryError } from '../../src/engine/search/search';
import type { FolderState } from '../../src/extension/assets/folderState';
import { NO_ANNOTATIONS, type AssetAnnotations } from '../../src/extension/assets/itemList';
import { mergeRankedHits, withCaptionMatches, WorkspaceSearch } from '../../src/extension/assets/workspaceSearch';
import type { ModelService } from '../../src/extension/model/service';
import type { ModelState } from '../../src/extension/model/state';

const ROOT_A = path.resolve('/ws/app');
const ROOT_B = path.resolve('/ws/docs');
const ENGINE = { id: 'engine' } as unknown as Engine;

interface FakeFolder {
  root: string;
  name: string;
  files: Map<string, { path: string; size: number; mtimeMs: number }>;
  attached: boolean;
  attachedTo?: Engine;
  queries: { query: string; similarTo?: string; options: Record<string, unknown> }[];
  search:
    { size: number; search(q: string, o: Record<string, unknown>): Promise<SearchResponse>; similar(p: string, o: Record<string, unknown>): Promise<SearchResponse> } | undefined;
  attach(engine: Engine): Promise<void>;
  relative(abs: string): string | undefined;
  entry(rel: string): undefined;
}

function response(hits: [string, number][], extra: Partial<SearchResponse> = {}): SearchResponse {
  return {
    ranked: true,
    results: hits.map(([p, score]) => ({ path: p, score, relevance: score, width: 8, height: 8, sha256: '0'.repeat(64) })),
    noGoodMatch: false,
    candidates: hits.length,
    terms: [],
    ...extra,
  };
}

function folder(root: string, files: string[], answer: SearchResponse | Error = response([])): FakeFolder {
  const f: FakeFolder = {
    root,
    name: path.basename(root),
    files: new Map(files.map((p) => [p, { path: p, size: 1, mtimeMs: 1 }])),
    attached: false,
    queries: [],
    search: {
      size: files.length,
      search: async (query, options) => {
        f.queries.push({ query, options });
        if (answer instanceof Error) throw answer;
        return answer;
      },
      similar: async (similarTo, options) => {
        f.queries.push({ query: '', similarTo, options });
        if (answer instanceof Error) throw answer;
        return answer;
      },
    },
    attach: async (engine) => {
      f.attached = true;
      f.attachedTo = engine;
    },
    relative: (abs) => {
      const rel = path.relative(root, abs);
      return !rel || rel.startsWith('..') || path.isAbsolute(rel) ? undefined : rel.split(path.sep).join('/');
    },
    entry: () => undefined,
  };
  return f;
}

const asFolders = (list: FakeFolder[]) => list as unknown as FolderState[];

function models(state: ModelState['kind'] = 'ready'): { service: ModelService; engineAsked: () => number } {
  const engine = state === 'ready' ? ENGINE : undefined;
  let asked = 0;
  const model = { spec: 'mobileclip-s0', name: 'MobileCLIP-S0', registry: true };
  const service = {
    state: { kind: state, model },
    getEngine: async () => {
      asked++;
      return engine;
    },
  } as unknown as ModelService;
  return { service, engineAsked: () => asked };
}

function search(folders: FakeFolder[], m = models(), annotations: AssetAnnotations = NO_ANNOTATIONS): { search: WorkspaceSearch; indexedFirst: () => number } {
  let indexed = 0;
  const s = new WorkspaceSearch({
    folders: () => asFolders(folders),
    models: m.service,
    annotations: () => annotations,
    ensureIndexed: async () => {
      indexed++;
    },
  });
  return { search: s, indexedFirst: () => indexed };
}

beforeEach(async () => {
  await fake.controls.setSetting('mobileclipAssets.search.maxResults', 3);
  await fake.controls.setSetting('mobileclipAssets.search.threshold', 0.2);
});

test("mergeRankedHits: every folder's hits ranked together and cut to topK; the best score of any folder", () => {
  const a = folder(ROOT_A, []);
  const b = folder(ROOT_B, []);
  const merged = mergeRankedHits(
    [
      {
        folder: a as unknown as FolderState,
        response: response([
          ['red.png', 0.31],
          ['pink.png', 0.22],
        ]),
      },
      {
        folder: b as unknown as FolderState,
        response: response([
          ['scarlet.png', 0.35],
          ['maroon.png', 0.24],
        ]),
      },
    ],
    3,
  );
  assert.deepEqual(
    merged.hits.map((h) => [h.id, h.score, h.relPath, h.folder.name]),
    [
      [path.join(ROOT_B, 'scarlet.png'), 0.35, 'scarlet.png', 'docs'],
      [path.join(ROOT_A, 'red.png'), 0.31, 'red.png', 'app'],
      [path.join(ROOT_B, 'maroon.png'), 0.24, 'maroon.png', 'docs'],
    ],
  );
  assert.equal(merged.bestScore, 0.35);
  assert.equal(merged.anyCandidates, true);
  // No result above the threshold anywhere: the nearest one still says how close it came.
  const none = mergeRankedHits([{ folder: a as unknown as FolderState, response: response([], { candidates: 4, noGoodMatch: true, best: { path: 'x.png', score: 0.12 } }) }], 3);
  assert.deepEqual([none.hits.length, none.bestScore, none.anyCandidates], [0, 0.12, true]);
});

test('withCaptionMatches: images whose captions match are added after the hits at the lowest score shown, never twice, at most 2 × topK', () => {
  const a = folder(ROOT_A, ['red.png', 'cap1.png', 'cap2.png', 'cap3.png', 'cap4.png', 'cap5.png']);
  const folders = asFolders([a]);
  const hits = mergeRankedHits(
    [
      {
        folder: folders[0]!,
        response: response([
          ['red.png', 0.3],
          ['cap1.png', 0.25],
        ]),
      },
    ],
    3,
  ).hits;
  const matches = ['cap1.png', 'gone.png', 'cap2.png', 'cap3.png', 'cap4.png', 'cap5.png'].map((p) => path.join(ROOT_A, p));
  const out = withCaptionMatches(hits, [path.join(ROOT_B, 'elsewhere.png'), ...matches], { topK: 3, floor: 0.2, folders });
  assert.deepEqual(
    out.map((h) => [h.relPath, h.score]),
    [
      ['red.png', 0.3],
      ['cap1.png', 0.25],
      ['cap2.png', 0.25],
      ['cap3.png', 0.25],
      ['cap4.png', 0.25],
      ['cap5.png', 0.25],
    ],
  );
  assert.equal(withCaptionMatches([], [path.join(ROOT_A, 'cap2.png')], { topK: 3, floor: 0.2, folders })[0]!.score, 0.2, 'no hits: at the threshold');
  assert.equal(withCaptionMatches(hits, matches, { topK: 1, floor: 0.2, folders }).length, 2, 'the hits already fill 2 × topK');
});

test('searchAll: one query over every folder with the settings, ranked together, caption matches after', async () => {
  const a = folder(
    ROOT_A,
    ['red.png', 'pink.png', 'caption-only.png'],
    response([
      ['red.png', 0.31],
      ['pink.png', 0.22],
    ]),
  );
  const b = folder(ROOT_B, ['scarlet.png'], response([['scarlet.png', 0.35]]));
  const annotations: AssetAnnotations = { ...NO_ANNOTATIONS, captionMatches: () => [path.join(ROOT_A, 'caption-only.png')] };
  const { search: s, indexedFirst } = search([a, b], models(), annotations);
  const r = await s.searchAll('red');
  assert.equal(indexedFirst(), 1, 'no folder had an index open: indexing comes first');
  assert.deepEqual([a.attachedTo, b.attachedTo], [ENGINE, ENGINE]);
  assert.deepEqual(
    a.queries.map((q) => [q.query, q.options.topK, q.options.threshold]),
    [['red', 3, 0.2]],
  );
  assert.deepEqual(
    r.hits.map((h) => [path.basename(h.id), h.score]),
    [
      ['scarlet.png', 0.35],
      ['red.png', 0.31],
      ['pink.png', 0.22],
      ['caption-only.png', 0.22],
    ],
  );
  assert.deepEqual([r.ranked, r.noGoodMatch, r.bestScore], [true, false, 0.35]);
  // `tag:` filters read each folder's tags by relative path.
  assert.equal(typeof a.queries[0]!.options.tagsOf, 'function');
});

test('Find Similar searches every folder by the image and adds no caption matches', async () => {
  const a = folder(ROOT_A, ['red.png', 'pink.png'], response([['pink.png', 0.9]]));
  const { search: s } = search([a], models(), { ...NO_ANNOTATIONS, captionMatches: () => [path.join(ROOT_A, 'red.png')] });
  const r = await s.searchAll('', { similarTo: path.join(ROOT_A, 'red.png') });
  assert.deepEqual(
    a.queries.map((q) => q.similarTo),
    [path.join(ROOT_A, 'red.png')],
  );
  assert.deepEqual(
    r.hits.map((h) => h.relPath),
    ['pink.png'],
  );
});

test('a query of filters only lists every image that passes them, by path, in every folder, without the model', async () => {
  const a = folder(ROOT_A, ['b.png', 'a.jpg', 'icons/c.png']);
  const b = folder(ROOT_B, ['d.png']);
  const m = models('missing');
  const { search: s } = search([a, b], m);
  const r = await s.searchAll('type:png');
  assert.equal(m.engineAsked(), 0);
  assert.deepEqual([r.ranked, r.bestScore], [false, null]);
  assert.deepEqual(
    r.hits.map((h) => `${h.folder.name}/${h.relPath}`),
    ['app/b.png', 'app/icons/c.png', 'docs/d.png'],
  );
});

test('without a model, words get one sentence that says why and that filters still work', async () => {
  const { search: s } = search([folder(ROOT_A, ['a.png'])], models('missing'));
  await assert.rejects(s.searchAll('red car'), {
    message: 'Searching by description needs the MobileCLIP-S0 model, which is not downloaded yet (filters such as type:png work without it).',
  });
  const similar = search([folder(ROOT_A, ['a.png'])], models('downloading')).search;
  await assert.rejects(similar.searchAll('', { similarTo: path.join(ROOT_A, 'a.png') }), {
    message: 'Finding similar images waits for the MobileCLIP-S0 download (filters such as type:png work without it).',
  });
});

test("a query that cannot run is a plain error with the engine's sentence, whether parsing or a folder finds it", async () => {
  const { search: s } = search([folder(ROOT_A, ['a.png'], new QueryError('The query image is not in the index.'))]);
  await assert.rejects(s.searchAll('red'), (err: Error) => err.constructor === Error && err.message === 'The query image is not in the index.');
  await assert.rejects(s.searchAll('-red'), (err: Error) => err.constructor === Error && /only pushes matching images down/.test(err.message));
});
