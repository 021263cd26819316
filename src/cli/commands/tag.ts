// `mobileclip-assets tag DIR`: auto-tag a folder's images through its index (the same code path as
// the extension: index -> snapshot -> AutoTagger -> TagStore).
import * as path from 'node:path';
import { defaultCacheDir } from '../../engine/models/resolve';
import {
  AutoTagger,
  TagEmbeddingCache,
  TagStore,
  TagVocabularyError,
  TAGS_DATA_FILE,
  imagesFromSnapshot,
  loadTagVocabulary,
  vocabularyFromNames,
  withOverrides,
  type TagVocabulary,
} from '../../engine/tags';
import { defineCommand, GLOBAL_OPTIONS, GLOBAL_USAGE, UsageError, numberFlag, openEngine } from '../command';
import { INDEX_OPTIONS, INDEX_USAGE, folderArg, indexerOptionsFrom, refreshIndex, reportDiscarded } from './indexing';
import { printLines } from '../output';
import { errorMessage } from '../../engine/util/errors';
import { exportTagsTo } from '../../engine/tags/export';

const USAGE = `Usage: mobileclip-assets tag DIR [options]

Suggests tags for the images in DIR. Embeddings come from DIR's index, which is brought up to
date first (only new or changed images are embedded). The vocabulary is the built-in one plus
DIR/.vscode/asset-tags.json; the user's decisions in DIR/${TAGS_DATA_FILE} (confirmed and
removed tags) are respected: a removed tag is never printed again for that image.

Options:
  --tags a,b,c          tag with exactly these tags (prompts from templates) instead of the vocabulary
  --vocab FILE          a vocabulary file (format of .vscode/asset-tags.json) instead of DIR's
  --top K               at most K suggested tags per image (0 = no limit; default from the vocabulary, 5)
  --threshold T         score threshold 0..1 for every tag (default from the vocabulary, 0.7)
  --json                print [{"path","tags":[{"tag","score","state"}]}] (failed files: {"path","error"})
  --save                record the suggestions in DIR/${TAGS_DATA_FILE} (workspace vocabulary only)
  --csv FILE            also write the tags as CSV (path,tag,state,source,score)

${INDEX_USAGE}

${GLOBAL_USAGE}`;

interface PrintedTag {
  tag: string;
  score?: number;
  state: string;
}
type PrintedImage = { path: string; tags: PrintedTag[] } | { path: string; error: string };

export const tag = defineCommand({
  name: 'tag',
  summary: "suggest tags for a folder's images (zero-shot + your confirmations)",
  usage: USAGE,
  options: {
    ...GLOBAL_OPTIONS,
    ...INDEX_OPTIONS,
    tags: { type: 'string' },
    vocab: { type: 'string' },
    top: { type: 'string' },
    threshold: { type: 'string' },
    json: { type: 'boolean' },
    save: { type: 'boolean' },
    csv: { type: 'string' },
  },
  positionals: { min: 1, max: 1, missing: 'missing the folder to tag', tooMany: (n) => `expected one folder, got ${n}` },
  async run(values, positionals) {
    if (values.tags !== undefined && values.vocab !== undefined) throw new UsageError('give either --tags or --vocab, not both');
    if (values.save && (values.tags !== undefined || values.vocab !== undefined)) {
      throw new UsageError('--save records results of the workspace vocabulary only; drop --tags/--vocab');
    }
    const topK = numberFlag('--top', values.top, 'tag.top');
    const threshold = numberFlag('--threshold', values.threshold, 'tag.threshold');
    const folder = await folderArg(positionals[0], 'folder');
    const indexOptions = indexerOptionsFrom(folder, values);

    // Vocabulary problems are the user's to fix before any model work starts: one line per problem.
    let base: TagVocabulary;
    try {
      base = await vocabularyFor(folder, values.tags, values.vocab);
    } catch (err) {
      if (!(err instanceof TagVocabularyError)) throw err;
      printLines(process.stderr, ['mobileclip-assets tag: invalid tag vocabulary:', ...err.issues.map((i) => `  ${i}`)]);
      return 2;
    }
    const vocab = withOverrides(base, { topK, threshold });
    const store = await TagStore.load(folder);
    for (const w of store.warnings) printLines(process.stderr, `warning: ${w}`);

    const cacheDir = values['cache-dir'] ?? defaultCacheDir();
    const engine = await openEngine(values, {}, indexOptions.indexDir);
    try {
      // The same index (location, scan rules, preprocessing identity) as `index` and `search` use.
      const { summary, snapshot } = await refreshIndex(engine, indexOptions);
      reportDiscarded(summary);
      if (summary.cancelled) return 130;
      printLines(process.stderr, `index: ${summary.total} images (${summary.indexed} embedded now, ${summary.failed.length} failed)`);

      const cache = new TagEmbeddingCache(path.join(cacheDir, 'tag-embeddings.json'));
      const tagger = await AutoTagger.create({ embedder: engine, vocab, store, cache });
      for (const issue of tagger.prepared.issues) printLines(process.stderr, `warning: ${issue}`);
      const images = imagesFromSnapshot(snapshot, engine.info);
      // Everything is scored each run (it is cheap next to indexing), so options like --threshold apply.
      const result = await tagger.tagImages({ images, mode: 'all' });
      await cache.save().catch((err) => printLines(process.stderr, `warning: tag embedding cache not saved: ${errorMessage(err)}`));

      const inVocab = new Set(tagger.prepared.names);
      const adHoc = values.tags !== undefined || values.vocab !== undefined;
      const printed: PrintedImage[] = images.map((img) => {
        const entry = store.get(img.path);
        const tags = store
          .tagsOf(img.path)
          .filter((t) => !adHoc || inVocab.has(t))
          .map((t) => {
            const m = entry!.tags[t]!;
            return m.score === undefined ? { tag: t, state: m.state } : { tag: t, score: m.score, state: m.state };
          });
        return { path: img.path, tags };
      });
      for (const f of summary.failed) printed.push({ path: f.path, error: f.error });
      for (const e of result.errors) printed.push({ path: e.input, error: e.error });
      printed.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));

      if (values.save) {
        await store.save();
        printLines(process.stderr, `saved ${path.join(folder, TAGS_DATA_FILE)}`);
      }
      if (values.csv) await exportTagsTo(store, path.resolve(values.csv), 'csv');
      if (values.json) process.stdout.write(`${JSON.stringify(printed)}\n`);
      else printText(printed);
      return 0;
    } finally {
      await engine.dispose();
    }
  },
});

async function vocabularyFor(folder: string, tags: string | undefined, vocabFile: string | undefined): Promise<TagVocabulary> {
  if (tags !== undefined) {
    const names = tags
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean);
    if (!names.length) throw new UsageError('--tags needs at least one tag name');
    try {
      return vocabularyFromNames(names);
    } catch (err) {
      throw new UsageError(`--tags: ${errorMessage(err)}`);
    }
  }
  return loadTagVocabulary(folder, undefined, vocabFile === undefined ? {} : { file: vocabFile });
}

function printText(images: PrintedImage[]): void {
  const out = images.map((img) => {
    if ('error' in img) return `${img.path}: error: ${img.error}`;
    const tags = img.tags.map((t) => `${t.tag}${t.score === undefined ? '' : ` (${t.score.toFixed(2)})`}${t.state === 'confirmed' ? '*' : ''}`);
    return `${img.path}: ${tags.length ? tags.join(', ') : '-'}`;
  });
  const tagged = images.filter((i) => 'tags' in i && i.tags.length).length;
  out.push(`${images.length} images, ${tagged} tagged (* = confirmed by you)`);
  printLines(process.stdout, out);
}
