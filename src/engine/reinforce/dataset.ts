// Reading a finished reinforced dataset back (for training/distillation and tools).
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { resolveInside } from '../util/atomic';
import { DATASET_FORMAT, MANIFEST_FILE, parseSample, type DatasetManifest, type ReinforcedSample } from './format';
import { readTarFile, splitMemberName } from './tar';

export interface LoadedDataset {
  root: string;
  manifest: DatasetManifest;
  samples: ReinforcedSample[];
  /** Samples that could not be parsed (use `verify` for the full report). */
  problems: Array<{ where: string; problem: string }>;
}

export async function readManifest(root: string): Promise<DatasetManifest> {
  const file = path.join(root, MANIFEST_FILE);
  let m: DatasetManifest;
  try { m = JSON.parse(await fs.readFile(file, 'utf8')) as DatasetManifest; } catch (err) {
    throw new Error(`${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found (is this a finished reinforced dataset?)' : (err as Error).message}`);
  }
  if (m?.format !== DATASET_FORMAT) throw new Error(`${file} is not a ${DATASET_FORMAT} manifest`);
  return m;
}

/** Every sample of every shard, in shard order. */
export async function loadDataset(dir: string): Promise<LoadedDataset> {
  const root = path.resolve(dir);
  const manifest = await readManifest(root);
  const samples: ReinforcedSample[] = [];
  const problems: LoadedDataset['problems'] = [];
  for (const shard of manifest.shards) {
    const members = await readTarFile(resolveInside(root, shard.file));
    const groups = new Map<string, Map<string, Buffer>>();
    for (const m of members) {
      const split = splitMemberName(m.name);
      if (!split) continue;
      if (!groups.has(split[0])) groups.set(split[0], new Map());
      groups.get(split[0])!.set(split[1], m.data);
    }
    for (const [key, group] of groups) {
      const { sample, problems: p } = parseSample(key, group, manifest.embeddingDim, manifest.augmentation.count);
      if (p.length || !sample.url || !sample.info || !sample.syn || !sample.paug || !sample.imageEmb || !sample.textEmb) {
        problems.push({ where: `${shard.file} ${key}`, problem: p.join('; ') || 'incomplete sample' });
        continue;
      }
      samples.push({ url: sample.url, info: sample.info, syn: sample.syn, paug: sample.paug, imageEmb: sample.imageEmb, textEmb: sample.textEmb });
    }
  }
  return { root, manifest, samples, problems };
}
