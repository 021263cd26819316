// `mobileclip-assets embed`: L2-normalized embeddings of texts and images.
import { promises as fs } from 'node:fs';
import type { Engine } from '../../engine/engine';
import { isItemError } from '../../engine/types';
import { notRegularReason } from '../../engine/util/files';
import { defineCommand, GLOBAL_OPTIONS, GLOBAL_USAGE, UsageError, openEngine } from '../command';
import { printLines } from '../output';

const USAGE = `Usage: mobileclip-assets embed [options] [--text T]... [IMAGE]...

Embeds each text and image with the model's towers and prints the L2-normalized vectors.
A file that cannot be read or decoded is reported in its item and does not stop the run.

Options:
  --text T              a text to embed (repeatable)
  --json                print {"model","dim","items":[{"input","kind","embedding"} | {"input","kind","error"}]}
${GLOBAL_USAGE}`;

type Item =
  { input: string; kind: 'text' | 'image'; embedding: number[]; width?: number; height?: number; sha256?: string } | { input: string; kind: 'text' | 'image'; error: string };

export const embed = defineCommand({
  name: 'embed',
  summary: 'print embeddings of texts and images',
  usage: USAGE,
  options: {
    ...GLOBAL_OPTIONS,
    text: { type: 'string', multiple: true },
    json: { type: 'boolean' },
  },
  async run(values, positionals) {
    const texts = values.text ?? [];
    if (!texts.length && !positionals.length) throw new UsageError('nothing to embed: give --text T and/or image files');

    const engine = await openEngine(values);
    try {
      const items = await embedAll(engine, texts, positionals);
      if (values.json) {
        process.stdout.write(`${JSON.stringify({ model: engine.info.id, dim: engine.info.dim, items })}\n`);
      } else {
        printSummary(engine, items);
      }
      return 0;
    } finally {
      await engine.dispose();
    }
  },
});

async function embedAll(engine: Engine, texts: string[], images: string[]): Promise<Item[]> {
  const items: Item[] = [];
  if (texts.length) {
    for (const t of await engine.embedTexts(texts)) items.push({ input: t.input, kind: 'text', embedding: Array.from(t.embedding) });
  }
  if (images.length) {
    // A FIFO or device named x.png is reported here, never handed to the worker; the rest go on.
    const skipped = new Map<string, string>();
    for (const p of images) {
      const st = await fs.stat(p).catch(() => undefined);
      const problem = st && notRegularReason(st);
      if (problem) skipped.set(p, problem);
    }
    const results = await engine.embedImages(images.filter((p) => !skipped.has(p)));
    let next = 0;
    for (const p of images) {
      const problem = skipped.get(p);
      const r = problem === undefined ? results[next++]! : { input: p, error: problem };
      if (isItemError(r)) items.push({ input: r.input, kind: 'image', error: r.error });
      else items.push({ input: r.input, kind: 'image', embedding: Array.from(r.embedding), width: r.width, height: r.height, sha256: r.sha256 });
    }
  }
  return items;
}

function printSummary(engine: Engine, items: Item[]): void {
  const out: string[] = [];
  for (const it of items) {
    if ('error' in it) {
      out.push(`error  ${it.input}: ${it.error}`);
      continue;
    }
    const head = it.embedding
      .slice(0, 4)
      .map((v) => v.toFixed(4))
      .join(', ');
    const size = it.width ? ` (${it.width}x${it.height})` : '';
    out.push(`${it.kind.padEnd(5)}  ${it.input}${size}  [${head}${it.embedding.length > 4 ? ', ...' : ''}]`);
  }
  const failed = items.filter((it) => 'error' in it).length;
  out.push(`${items.length - failed} embedded, ${failed} failed; model ${engine.info.id}, ${engine.info.dim}-d, ${engine.info.executionProvider}`);
  printLines(process.stdout, out);
}
