// Reinforcing a real image folder with fixture teachers: the on-disk format read back by the
// independent reader, exact augmentation replay through the stored image, determinism, skipped
// bad images, verify catching tampering, and resume after SIGKILL giving a byte-identical dataset.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Engine } from '../../src/engine/engine';
import { reinforceDataset, type ReinforceSummary } from '../../src/engine/reinforce/reinforce';
import { verifyDataset } from '../../src/engine/reinforce/verify';
import { decompressParams, parseAugmentationConfig } from '../../src/engine/reinforce/transforms';
import { CLI, captionSource, makeImageSet, openEngines, readTree, sha256, syntheticCaptions, teacherDirs, type ImageSet } from './helpers';
import { readShardSamples, readTar, type PlainSample } from './reader';

const work = path.resolve(__dirname, '../../.cache/test-reinforce', String(process.pid));
const cacheDir = path.join(work, 'model-cache');
const SEED = 7;
const SHARD = 3;
let images: ImageSet;
let dirs: string[];
let teachers: Engine[];
let first: ReinforceSummary;
const outA = path.join(work, 'out-a');

function run(out: string, seed = SEED, captions = true) {
  return reinforceDataset({
    input: images.dir,
    out,
    teachers,
    seed,
    samplesPerShard: SHARD,
    captions: captions ? captionSource : undefined,
    captionSourceId: captions ? 'test captions v1' : undefined,
  });
}

interface Manifest {
  teachers: Array<{ id: string; fingerprint: string; dim: number; offset: number; imageSize: number }>;
  embeddingDim: number;
  seed: number;
  shards: Array<{ file: string; sha256: string; bytes: number; samples: number }>;
  counts: { images: number; samples: number; skipped: number; shards: number };
  skipped: Array<{ path: string; error: string }>;
  augmentation: { count: number };
}

async function manifestOf(out: string): Promise<Manifest> {
  return JSON.parse(await fs.readFile(path.join(out, 'manifest.json'), 'utf8')) as Manifest;
}

async function allSamples(out: string): Promise<PlainSample[]> {
  const m = await manifestOf(out);
  return m.shards.flatMap((s) => readShardSamples(path.join(out, s.file)));
}

function normalized(v: Float32Array): Float32Array {
  const n = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  return v.map((x) => x / n);
}

before(async () => {
  await fs.rm(work, { recursive: true, force: true });
  images = await makeImageSet(path.join(work, 'images'), 8);
  dirs = await teacherDirs();
  teachers = await openEngines(dirs, cacheDir);
  first = await run(outA);
});

after(async () => {
  await Promise.all((teachers ?? []).map((t) => t.dispose()));
  await fs.rm(work, { recursive: true, force: true });
});

test('shards follow the DataCompDR layout, read back by an independent tar/zip/npy reader', async () => {
  const m = await manifestOf(outA);
  assert.deepEqual(
    m.teachers.map((t) => [t.dim, t.offset, t.imageSize]),
    [
      [24, 0, 64],
      [16, 24, 48],
    ],
  );
  assert.deepEqual(
    m.teachers.map((t) => t.fingerprint),
    teachers.map((t) => t.info.fingerprint),
  );
  assert.equal(m.embeddingDim, 40);
  assert.equal(m.counts.samples, images.valid.length);
  assert.deepEqual(
    m.shards.map((s) => s.file),
    ['shards/00000000.tar', 'shards/00000001.tar', 'shards/00000002.tar'],
  );
  assert.deepEqual(
    m.shards.map((s) => s.samples),
    [3, 3, 3],
  );
  for (const s of m.shards) {
    const file = path.join(outA, s.file);
    assert.equal(await sha256(file), s.sha256);
    assert.equal((await fs.stat(file)).size, s.bytes);
    for (const e of readTar(file)) assert.deepEqual([e.mode, e.uid, e.gid, e.mtime, e.type], [0o644, 0, 0, 0, 'file'], e.name);
  }
  assert.deepEqual((await fs.readdir(outA)).sort(), ['manifest.json', 'rdata_config.json', 'shards'], 'no run state left behind');

  const samples = await allSamples(outA);
  assert.deepEqual(
    samples.map((s) => s.url),
    images.valid,
    'sorted sample order',
  );
  for (const s of samples) {
    const abs = path.join(images.dir, s.url);
    assert.equal(s.key, createHash('sha256').update(s.url).digest('hex').slice(0, 32));
    assert.equal(s.json.uid, s.key);
    assert.equal(s.json.sha256, await sha256(abs));
    assert.deepEqual(s.syn.syn_text, syntheticCaptions(abs));
    const img = s.npz.get('image_emb')!;
    const txt = s.npz.get('text_emb')!;
    const syn = s.npz.get('syn_text_emb')!;
    assert.deepEqual([img.descr, img.fortranOrder, img.shape], ['<f4', false, [10, 40]]);
    assert.deepEqual([txt.descr, txt.shape], ['<f4', [1, 40]]);
    assert.deepEqual([syn.descr, syn.shape], ['<f4', [s.syn.syn_text.length, 40]]);
    for (const [data, rows] of [
      [img.data, 10],
      [txt.data, 1],
      [syn.data, syn.shape[0]!],
    ] as const) {
      for (let r = 0; r < rows; r++) {
        for (const [a, b] of [
          [0, 24],
          [24, 40],
        ]) {
          const norm = Math.hypot(...data.subarray(r * 40 + a!, r * 40 + b!));
          assert.ok(Math.abs(norm - 1) < 1e-5, `${s.url} row ${r} block ${a}: norm ${norm}`);
        }
      }
    }
    // Default config: one parameterised transform (random_resized_crop), boxes as (top, left, h, w).
    assert.equal(s.paug.param_aug.length, 10);
    for (const entry of s.paug.param_aug) {
      assert.equal(entry.length, 1);
      const [top, left, h, w] = entry[0] as number[];
      assert.ok(top! + h! <= (s.json.height as number) && left! + w! <= (s.json.width as number));
    }
  }
  // Ground-truth captions: sidecars first, else the file-name stand-in (documented in json).
  const withSidecar = samples.filter((s) => s.json.caption_source === 'sidecar');
  assert.equal(withSidecar.length, 2);
  assert.match(withSidecar[0]!.caption, /^A clip-art drawing from /);
  const rotated = samples.find((s) => s.url === images.exifRotated)!;
  assert.deepEqual([rotated.caption, rotated.json.caption_source], ['rotated', 'filename']);
  // The EXIF-rotated JPEG is stored 48x24 and displays 24x48: boxes refer to the displayed image.
  assert.deepEqual([rotated.json.width, rotated.json.height], [24, 48]);
});

test('bad images are reported per file and skipped; the run goes on', () => {
  assert.deepEqual(first.skipped.map((s) => s.path).sort(), [...images.broken].sort());
  for (const s of first.skipped) assert.ok(s.error.length > 5, s.error);
  assert.equal(first.samples, images.valid.length);
});

test('replaying the stored augmentations on the stored image reproduces the stored embeddings (<= 1e-5)', async () => {
  const samples = await allSamples(outA);
  const { config } = parseAugmentationConfig(
    (JSON.parse(await fs.readFile(path.join(outA, 'rdata_config.json'), 'utf8')) as { reinforce: { image_augmentation: unknown } }).reinforce.image_augmentation,
  );
  assert.ok(config);
  const picked = [samples[0]!, samples.find((s) => s.url === images.exifRotated)!, samples[samples.length - 1]!];
  let distinctRows = 0;
  for (const s of picked) {
    const stored = s.npz.get('image_emb')!.data;
    const params = s.paug.param_aug.map((e) => decompressParams(config, e).params!);
    for (let t = 0; t < teachers.length; t++) {
      const [a, b] = t === 0 ? [0, 24] : [24, 40];
      // One request per augmentation, in reverse order: a different batching than the run used.
      for (let k = params.length - 1; k >= 0; k--) {
        const r = await teachers[t]!.embedViews({ bytes: s.image.data }, config, [params[k]!], 'reapply');
        const v = r.views[0]!;
        assert.ok('embedding' in v, JSON.stringify(v));
        const fresh = normalized(v.embedding);
        const row = stored.subarray(k * 40 + a, k * 40 + b);
        const dev = Math.max(...fresh.map((x, j) => Math.abs(x - row[j]!)));
        assert.ok(dev <= 1e-5, `${s.url} teacher ${t} aug ${k}: deviation ${dev}`);
      }
    }
    const rows = new Set(Array.from({ length: 10 }, (_, k) => Array.from(stored.subarray(k * 40, k * 40 + 40), (v) => v.toFixed(4)).join()));
    distinctRows += rows.size;
    // Text rows: ground truth (text_emb), then the synthetic captions (syn_text_emb).
    const fresh = await teachers[1]!.embedTexts([s.caption, ...s.syn.syn_text]);
    const rowsOf = (j: number) => (j === 0 ? s.npz.get('text_emb')! : s.npz.get('syn_text_emb')!).data.subarray((j === 0 ? 0 : j - 1) * 40 + 24, (j === 0 ? 0 : j - 1) * 40 + 40);
    fresh.forEach((f, j) => {
      const dev = Math.max(...normalized(f.embedding).map((v, i) => Math.abs(v - rowsOf(j)[i]!)));
      assert.ok(dev <= 1e-5, `${s.url} text ${j}: deviation ${dev}`);
    });
  }
  // The crops matter: augmentations of one image do not all embed alike.
  assert.ok(distinctRows > picked.length * 2, `only ${distinctRows} distinct augmentation rows`);
});

test('deterministic: the same seed gives byte-identical output, another seed differs', async () => {
  const outB = path.join(work, 'out-b');
  await run(outB);
  const a = await readTree(outA);
  const b = await readTree(outB);
  assert.deepEqual([...b.keys()].sort(), [...a.keys()].sort());
  for (const [name, bytes] of a) assert.ok(bytes.equals(b.get(name)!), `${name} differs between identical runs`);

  const outC = path.join(work, 'out-c');
  await run(outC, SEED + 1);
  const sa = await allSamples(outA);
  const sc = await allSamples(outC);
  assert.deepEqual(
    sc.map((s) => s.json),
    sa.map((s) => s.json),
    'seed does not change image identity',
  );
  assert.notDeepEqual(
    sc.map((s) => s.paug),
    sa.map((s) => s.paug),
  );
  const shardA = await fs.readFile(path.join(outA, 'shards', '00000000.tar'));
  assert.ok(!shardA.equals(await fs.readFile(path.join(outC, 'shards', '00000000.tar'))));
});

test('rerunning a finished dataset is a no-op; other settings are refused', async () => {
  const again = await run(outA);
  assert.equal(again.alreadyComplete, true);
  await assert.rejects(run(outA, SEED + 5), /other inputs or settings/);
});

test('a cancelled run keeps its work and a rerun completes it identically', async () => {
  const out = path.join(work, 'cancelled');
  const controller = new AbortController();
  const partial = await reinforceDataset({
    input: images.dir,
    out,
    teachers,
    seed: SEED,
    samplesPerShard: SHARD,
    captions: captionSource,
    captionSourceId: 'test captions v1',
    signal: controller.signal,
    onProgress: (p) => {
      if (p.done === 5) controller.abort();
    },
  });
  assert.equal(partial.cancelled, true);
  assert.equal(partial.processedThisRun, 5);
  assert.ok(!existsSync(path.join(out, 'manifest.json')));
  const rest = await run(out);
  assert.equal(rest.cancelled, false);
  assert.equal(rest.resumedAt, 5);
  const a = await readTree(outA);
  const b = await readTree(out);
  assert.deepEqual([...b.keys()].sort(), [...a.keys()].sort());
  for (const [name, bytes] of a) assert.ok(bytes.equals(b.get(name)!), `${name} differs after cancel + rerun`);
});

test('verify passes on an intact dataset and replays within tolerance', async () => {
  const report = await verifyDataset({ dataset: outA, teachers, sample: 3 });
  assert.deepEqual(report.problems, []);
  assert.equal(report.ok, true);
  assert.equal(report.samples, images.valid.length);
  assert.equal(report.replay?.samples, 3);
  assert.ok(report.replay!.maxImageDeviation <= 1e-5 && report.replay!.maxTextDeviation <= 1e-5, JSON.stringify(report.replay));
});

/** Copy of out-a with one tar member's bytes changed by `edit` (same length, so the tar stays framed). */
async function tampered(name: string, member: string, edit: (data: Buffer) => void): Promise<{ dir: string; key: string }> {
  const dir = path.join(work, name);
  await fs.cp(outA, dir, { recursive: true });
  const shard = path.join(dir, 'shards', '00000001.tar');
  const bytes = await fs.readFile(shard);
  // Walk the 512-byte headers to find the member.
  for (let off = 0; off < bytes.length;) {
    const entryName = bytes
      .subarray(off, off + 100)
      .toString('latin1')
      .replace(/\0.*$/s, '');
    const size = parseInt(bytes.subarray(off + 124, off + 136).toString('latin1'), 8);
    if (entryName.endsWith(`.${member}`)) {
      const data = bytes.subarray(off + 512, off + 512 + size);
      edit(data);
      await fs.writeFile(shard, bytes);
      return { dir, key: entryName.slice(0, entryName.indexOf('.')) };
    }
    off += 512 + Math.ceil(size / 512) * 512;
  }
  throw new Error(`no ${member} member`);
}

test('verify catches a flipped byte in an npz', async () => {
  const { dir, key } = await tampered('tamper-npz', 'npz', (data) => {
    const at = data.indexOf(Buffer.from('image_emb.npy')) + 200; // inside the array data
    data[at]! ^= 0x08;
  });
  const report = await verifyDataset({ dataset: dir, teachers, sample: 0 });
  assert.equal(report.ok, false);
  const text = report.problems.map((p) => `${p.where}: ${p.problem}`).join('\n');
  assert.match(text, /shards\/00000001\.tar: sha256 .* does not match the manifest/);
  assert.match(text, new RegExp(`${key}.*CRC mismatch`));
});

test('verify catches an edited json, and the CLI exits non-zero with a per-problem report', async () => {
  const { dir, key } = await tampered('tamper-json', 'json', (data) => {
    const text = data.toString('utf8');
    const m = /"width":(\d)/.exec(text)!;
    data.write(`"width":${(Number(m[1]) + 1) % 10}`, m.index, 'utf8');
  });
  const report = await verifyDataset({ dataset: dir, teachers, sample: 0 });
  const text = report.problems.map((p) => `${p.where}: ${p.problem}`).join('\n');
  assert.match(text, /sha256 .* does not match the manifest/);
  assert.match(text, new RegExp(`${key}: paug\\.json param_aug\\[\\d\\].*(differs from the parameters the seed draws|exceeds)`));

  const cli = spawnSync(process.execPath, [CLI, 'verify', dir, '--sample', '0'], { encoding: 'utf8' });
  assert.equal(cli.status, 1, cli.stderr);
  assert.match(cli.stdout, /FAIL {2}shards\/00000001\.tar: sha256/);
  assert.match(cli.stdout, /FAILED: \d+ problems/);
  const ok = spawnSync(process.execPath, [CLI, 'verify', outA, '--sample', '2', '--teacher', dirs[0]!, '--teacher', dirs[1]!, '--cache-dir', cacheDir], { encoding: 'utf8' });
  assert.equal(ok.status, 0, ok.stdout + ok.stderr);
  assert.match(ok.stdout, /replayed 2 samples \(20 augmentations/);
  // One sample (rotated.jpg) has no synthetic caption: verify says Apple's loader cannot take it.
  assert.match(ok.stdout, /Apple's training loader does NOT load every sample:\n {2}1 sample: syn\.json syn_text is empty/);
});

test('a run killed with SIGKILL resumes to output byte-identical to an uninterrupted run', async () => {
  // Reference: uninterrupted, no synthetic captions (the CLI run below has none either).
  const ref = path.join(work, 'resume-ref');
  await run(ref, SEED, false);
  const out = path.join(work, 'resume-killed');
  const args = [
    CLI,
    'reinforce',
    images.dir,
    '--out',
    out,
    '--teacher',
    dirs[0]!,
    '--teacher',
    dirs[1]!,
    '--seed',
    String(SEED),
    '--shard-size',
    String(SHARD),
    '--syn',
    '0',
    '--cache-dir',
    cacheDir,
  ];
  const journal = path.join(out, '.reinforce', 'journal.jsonl');
  const child = spawn(process.execPath, args, { detached: true, stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  // Kill once a shard is finalized and the next one is part-written.
  for (;;) {
    const lines = existsSync(journal) ? (await fs.readFile(journal, 'utf8')).split('\n').filter(Boolean) : [];
    const samples = lines.filter((l) => l.includes('"t":"sample"')).length;
    if (samples >= SHARD + 2) break;
    assert.equal(child.exitCode, null, 'the run finished before it could be killed');
    await new Promise((r) => setTimeout(r, 10));
  }
  process.kill(-child.pid!, 'SIGKILL'); // the whole process group: CLI and its inference workers
  await exited;
  assert.ok(!existsSync(path.join(out, 'manifest.json')), 'killed before completion');
  assert.ok(existsSync(path.join(out, 'shards', '00000000.tar')));

  const rerun = spawnSync(process.execPath, args, { encoding: 'utf8' });
  assert.equal(rerun.status, 0, rerun.stderr);
  assert.match(rerun.stdout, /resumed at image \d+/);
  const a = await readTree(ref);
  const b = await readTree(out);
  assert.deepEqual([...b.keys()].sort(), [...a.keys()].sort());
  for (const [name, bytes] of a) assert.ok(bytes.equals(b.get(name)!), `${name} differs from the uninterrupted run`);
});
