import assert from 'node:assert/strict';
import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { downloadModel, type DownloadProgress } from '../../src/engine/models/download';
import { ChecksumMismatchError, ModelNotDownloadedError, ModelOfflineError, UnverifiableDownloadError } from '../../src/engine/models/errors';
import { hubFileDest } from '../../src/engine/models/paths';
import { resolveRegistryModel } from '../../src/engine/models/resolve';
import { closedPort, gitBlobSha1, makeFiles, makeManifest, REPO, REVISION, sha256, startHub, startProxy, tempDir, type FixtureFiles } from './fixture-hub';

const files = makeFiles();
const cleanups: Array<() => Promise<void>> = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function setup(label: string, behaviour: Parameters<typeof startHub>[1] = {}) {
  const hub = await startHub(files, behaviour);
  const cacheDir = await tempDir(label);
  cleanups.push(
    () => hub.close(),
    () => fs.rm(cacheDir, { recursive: true, force: true }),
  );
  const dest = (p: keyof FixtureFiles) => hubFileDest(cacheDir, REPO, REVISION, p);
  return { hub, cacheDir, dest };
}

const gets = (hub: { requests: Array<{ method: string; url: string; range?: string }> }, p: string) => hub.requests.filter((r) => r.method === 'GET' && r.url.endsWith(`/${p}`));

const fast = { retryBaseDelayMs: 1 };

test('downloads every file, verifies it, reports monotonic progress ending at the total, then resolves offline', async () => {
  const { hub, cacheDir, dest } = await setup('full');
  const manifest = makeManifest(files);
  const events: DownloadProgress[] = [];
  const model = await downloadModel(manifest, { cacheDir, host: hub.host, onProgress: (p) => events.push(p), ...fast });

  for (const p of Object.keys(files) as Array<keyof FixtureFiles>) {
    assert.deepEqual(await fs.readFile(dest(p)), files[p], p);
    assert.equal(existsSync(`${dest(p)}.part`), false);
  }
  assert.equal(model.visionModelPath, dest('onnx/vision_model.onnx'));
  assert.equal(model.textModelPath, dest('onnx/text_model_int8.onnx'));
  assert.equal(model.tokenizerPath, dest('tokenizer.json'));
  assert.equal(model.preprocessorConfigPath, dest('preprocessor_config.json'));

  const total = Object.values(files).reduce((s, b) => s + b.length, 0);
  assert.ok(events.length >= 4, 'at least one event per file');
  for (let i = 1; i < events.length; i++) assert.ok(events[i].bytes >= events[i - 1].bytes, `bytes went back at event ${i}`);
  assert.ok(events.every((e) => e.totalBytes === total && e.fileCount === 4 && e.bytes <= e.totalBytes));
  const last = events[events.length - 1];
  assert.equal(last.bytes, total);
  assert.equal(last.etaSeconds, 0);
  assert.deepEqual([...new Set(events.map((e) => e.fileIndex))], [0, 1, 2, 3]);

  // Already cached: a second call fetches nothing, and resolving needs no network at all.
  const before = hub.requests.length;
  const again = await downloadModel(manifest, { cacheDir, host: hub.host, ...fast });
  assert.equal(hub.requests.length, before);
  assert.equal(again.fingerprint, model.fingerprint);
  await hub.close();
  assert.equal((await resolveRegistryModel(manifest, { cacheDir })).fingerprint, model.fingerprint);
});

test('an interrupted transfer leaves a .part that the next download resumes with Range', async () => {
  const vision = 'onnx/vision_model.onnx';
  const { hub, cacheDir, dest } = await setup('resume', { cutFirst: { path: vision, bytes: 120_000 } });
  const manifest = makeManifest(files);
  await assert.rejects(downloadModel(manifest, { cacheDir, host: hub.host, retries: 0 }));
  const partSize = (await fs.stat(`${dest(vision)}.part`)).size;
  assert.ok(partSize > 0 && partSize < files[vision].length, `part has ${partSize} bytes`);
  assert.equal(existsSync(dest(vision)), false, 'nothing at the final path before verification');

  await downloadModel(manifest, { cacheDir, host: hub.host, retries: 0 });
  const visionGets = gets(hub, vision);
  assert.equal(visionGets.length, 2);
  assert.equal(visionGets[1].range, `bytes=${partSize}-`);
  assert.deepEqual(await fs.readFile(dest(vision)), files[vision]);
});

test('a dropped connection is retried within one call and resumes where it stopped', async () => {
  const vision = 'onnx/vision_model.onnx';
  const { hub, cacheDir, dest } = await setup('resume-retry', { cutFirst: { path: vision, bytes: 64_000 } });
  await downloadModel(makeManifest(files), { cacheDir, host: hub.host, retries: 2, ...fast });
  const visionGets = gets(hub, vision);
  assert.equal(visionGets.length, 2);
  assert.match(visionGets[1].range ?? '', /^bytes=[1-9]\d*-$/);
  assert.deepEqual(await fs.readFile(dest(vision)), files[vision]);
});

test('a server that ignores Range (200) makes the download restart cleanly', async () => {
  const vision = 'onnx/vision_model.onnx';
  const { hub, cacheDir, dest } = await setup('ignore-range', { ignoreRange: true });
  // A stale part whose bytes are wrong: appending to it would fail verification.
  await fs.mkdir(path.dirname(dest(vision)), { recursive: true });
  await fs.writeFile(`${dest(vision)}.part`, Buffer.alloc(50_000, 7));
  await downloadModel(makeManifest(files), { cacheDir, host: hub.host, ...fast });
  assert.equal(gets(hub, vision)[0].range, 'bytes=50000-');
  assert.deepEqual(await fs.readFile(dest(vision)), files[vision]);
});

test('a checksum mismatch deletes the bad file and names expected and actual', async () => {
  const text = 'onnx/text_model_int8.onnx';
  const { hub, cacheDir, dest } = await setup('checksum');
  const manifest = makeManifest(files);
  const expected = sha256(Buffer.from('something else'));
  manifest.files.text.int8!.sha256 = expected;
  const err = await downloadModel(manifest, { cacheDir, host: hub.host, ...fast }).then(
    () => assert.fail('should fail'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof ChecksumMismatchError, String(err));
  assert.match(err.message, new RegExp(expected));
  assert.match(err.message, new RegExp(sha256(files[text])));
  assert.match(err.message, /onnx\/text_model_int8\.onnx/);
  assert.equal(existsSync(dest(text)), false);
  assert.equal(existsSync(`${dest(text)}.part`), false);
});

test('404 names the URL and says the revision or file may not exist; 403 says the repo may be gated', async () => {
  const { hub, cacheDir } = await setup('status', { statusFor: { 'onnx/vision_model.onnx': 404, 'tokenizer.json': 403 } });
  const manifest = makeManifest(files);
  await assert.rejects(downloadModel(manifest, { cacheDir, host: hub.host, ...fast }), (e: Error) => {
    assert.match(e.message, /HTTP 403/);
    assert.match(e.message, /gated/);
    return true;
  });
  hub.behaviour.statusFor = { 'onnx/vision_model.onnx': 404 };
  await assert.rejects(downloadModel(manifest, { cacheDir, host: hub.host, ...fast }), (e: Error & { status?: number }) => {
    assert.equal(e.status, 404);
    assert.ok(e.message.includes(`${hub.host}/${REPO}/resolve/${REVISION}/onnx/vision_model.onnx`), e.message);
    assert.match(e.message, /revision .* may not exist/);
    return true;
  });
  assert.equal(gets(hub, 'onnx/vision_model.onnx').length, 1, '404 is not retried');
});

test('5xx answers are retried with backoff until the file arrives, and give up after the retry budget', async () => {
  const text = 'onnx/text_model_int8.onnx';
  const { hub, cacheDir, dest } = await setup('retry', { failFirst: { path: text, times: 2, status: 500 } });
  await downloadModel(makeManifest(files), { cacheDir, host: hub.host, retries: 3, ...fast });
  assert.equal(gets(hub, text).length, 3);
  assert.deepEqual(await fs.readFile(dest(text)), files[text]);

  const other = await setup('retry-giveup', { failFirst: { path: text, times: 100, status: 503 } });
  await assert.rejects(downloadModel(makeManifest(files), { cacheDir: other.cacheDir, host: other.hub.host, retries: 1, ...fast }), /HTTP 503.*gave up after 2 attempts/);
  assert.equal(gets(other.hub, text).length, 2);
});

test('cancelling a slow download keeps a .part that a later download resumes', async () => {
  const vision = 'onnx/vision_model.onnx';
  const { hub, cacheDir, dest } = await setup('cancel', { slowMs: 15 });
  const manifest = makeManifest(files);
  const controller = new AbortController();
  const err = await downloadModel(manifest, {
    cacheDir,
    host: hub.host,
    signal: controller.signal,
    onProgress: (p) => {
      if (p.file === vision && p.bytes > 0) controller.abort();
    },
  }).then(
    () => assert.fail('should be cancelled'),
    (e: unknown) => e as Error,
  );
  assert.equal(err.name, 'AbortError');
  const partSize = (await fs.stat(`${dest(vision)}.part`)).size;
  assert.ok(partSize > 0 && partSize < files[vision].length, `part has ${partSize} bytes`);

  hub.behaviour.slowMs = undefined;
  await downloadModel(manifest, { cacheDir, host: hub.host, ...fast });
  assert.equal(gets(hub, vision).at(-1)?.range, `bytes=${partSize}-`);
  assert.deepEqual(await fs.readFile(dest(vision)), files[vision]);
});

test('follows redirects, and checks unpinned files against the hub-reported size and sha256', async () => {
  const { hub, cacheDir, dest } = await setup('redirect', { redirect: true, linked: {} });
  const unpinned = makeManifest(files, { pin: false });
  const events: DownloadProgress[] = [];
  await downloadModel(unpinned, { cacheDir, host: hub.host, onProgress: (p) => events.push(p), ...fast });
  assert.ok(hub.requests.some((r) => r.method === 'GET' && r.url.startsWith('/cdn/')));
  // Sizes come from the hub's own redirect (X-Linked-Size): HEAD never goes to the CDN.
  assert.ok(hub.requests.some((r) => r.method === 'HEAD' && r.url.includes('/resolve/')));
  assert.ok(!hub.requests.some((r) => r.method === 'HEAD' && r.url.startsWith('/cdn/')));
  assert.deepEqual(await fs.readFile(dest('onnx/vision_model.onnx')), files['onnx/vision_model.onnx']);
  // Sizes were learned before the transfer started, so the total is right from the first event.
  const total = Object.values(files).reduce((s, b) => s + b.length, 0);
  assert.equal(events[0].totalBytes, total);

  const lying = await setup('redirect-lying', { redirect: true, linked: { wrongSha: true } });
  await assert.rejects(downloadModel(unpinned, { cacheDir: lying.cacheDir, host: lying.hub.host, ...fast }), ChecksumMismatchError);
});

test('uses an explicit proxy', async () => {
  const { hub, cacheDir, dest } = await setup('proxy');
  const proxy = await startProxy();
  cleanups.push(() => proxy.close());
  await downloadModel(makeManifest(files), { cacheDir, host: hub.host, proxy: proxy.url, noProxy: '', ...fast });
  assert.ok(proxy.seen.includes(`GET ${hub.host}/${REPO}/resolve/${REVISION}/onnx/vision_model.onnx`), proxy.seen.join('\n'));
  assert.equal(proxy.seen.filter((s) => s.startsWith('GET ')).length, 4);
  assert.deepEqual(await fs.readFile(dest('tokenizer.json')), files['tokenizer.json']);
});

test('uses HTTP_PROXY from the environment', async () => {
  const { hub, cacheDir } = await setup('env-proxy');
  const proxy = await startProxy();
  cleanups.push(() => proxy.close());
  const saved = { HTTP_PROXY: process.env.HTTP_PROXY, NO_PROXY: process.env.NO_PROXY, no_proxy: process.env.no_proxy };
  process.env.HTTP_PROXY = proxy.url;
  process.env.NO_PROXY = '';
  delete process.env.no_proxy;
  try {
    await downloadModel(makeManifest(files), { cacheDir, host: hub.host, ...fast });
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
  assert.equal(proxy.seen.filter((s) => s.startsWith('GET ')).length, 4);
});

test('an unreachable hub gives an offline error that lists every file and where to put it', async () => {
  const cacheDir = await tempDir('offline');
  cleanups.push(() => fs.rm(cacheDir, { recursive: true, force: true }));
  const host = `http://127.0.0.1:${await closedPort()}`;
  const err = await downloadModel(makeManifest(files), { cacheDir, host, ...fast }).then(
    () => assert.fail('should fail'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof ModelOfflineError, String(err));
  assert.ok(err instanceof ModelNotDownloadedError);
  assert.match(err.message, /Cannot reach 127\.0\.0\.1/);
  assert.deepEqual(err.missing.map((m) => m.path).sort(), Object.keys(files).sort());
  for (const m of err.missing) {
    assert.equal(m.dest, hubFileDest(cacheDir, REPO, REVISION, m.path));
    assert.equal(m.url, `${host}/${REPO}/resolve/${REVISION}/${m.path}`);
    assert.ok(err.message.includes(m.dest) && err.message.includes(m.url));
  }
});

test('one download per model revision at a time; a lock left by a dead process is taken over', async () => {
  const { hub, cacheDir, dest } = await setup('lock');
  const lock = path.join(path.dirname(dest('tokenizer.json')), '.download.lock');
  await fs.mkdir(path.dirname(lock), { recursive: true });
  await fs.writeFile(lock, String(process.pid));
  await assert.rejects(downloadModel(makeManifest(files), { cacheDir, host: hub.host, ...fast }), /another download of this model is running \(process \d+\)/);
  assert.equal(hub.requests.length, 0);

  await fs.writeFile(lock, '2147483646'); // no such process
  await downloadModel(makeManifest(files), { cacheDir, host: hub.host, ...fast });
  assert.equal(existsSync(lock), false);
  assert.deepEqual(await fs.readFile(dest('tokenizer.json')), files['tokenizer.json']);
});

test('a host that sends no checksum cannot get an unpinned file accepted (attacker bytes as the default text tower)', async () => {
  // The attack of issue 12: a mirror (or a tampered connection) answers with its own bytes and no
  // X-Linked-Etag; before, text_model_int8.onnx was accepted as "ATTACKER BYTES, NOT ONNX".
  const text = 'onnx/text_model_int8.onnx';
  const attacker: FixtureFiles = { ...files, [text]: Buffer.from('ATTACKER BYTES, NOT ONNX') };
  const hub = await startHub(attacker);
  const cacheDir = await tempDir('unverifiable');
  cleanups.push(
    () => hub.close(),
    () => fs.rm(cacheDir, { recursive: true, force: true }),
  );
  const manifest = makeManifest(files); // every other file stays pinned
  delete manifest.files.text.int8!.sha256;
  delete manifest.files.text.int8!.size;
  const err = await downloadModel(manifest, { cacheDir, host: hub.host, ...fast }).then(
    () => assert.fail('should be refused'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof UnverifiableDownloadError, String(err));
  assert.match(err.message, /onnx\/text_model_int8\.onnx/);
  assert.match(err.message, /pins no sha256 .* reported none/);
  const dest = hubFileDest(cacheDir, REPO, REVISION, text);
  assert.equal(existsSync(dest), false, 'nothing at the final path');
  assert.equal(existsSync(`${dest}.part`), false, 'the unverifiable bytes were deleted');
  await assert.rejects(resolveRegistryModel(manifest, { cacheDir }), ModelNotDownloadedError);
});

test("an unpinned file kept in git is checked against the hub's ETag (git blob id), and refused when it does not match", async () => {
  const { hub, cacheDir, dest } = await setup('git-etag', { gitEtag: {} });
  const manifest = makeManifest(files);
  delete manifest.files.preprocessorConfig!.sha256;
  await downloadModel(manifest, { cacheDir, host: hub.host, ...fast });
  assert.deepEqual(await fs.readFile(dest('preprocessor_config.json')), files['preprocessor_config.json']);
  assert.equal(gitBlobSha1(Buffer.from('hello\n')), 'ce013625030ba8dba906f756967f9e9ca394464a', 'same id as `git hash-object`');

  const lying = await setup('git-etag-lying', { gitEtag: { wrong: true } });
  const err = await downloadModel(manifest, { cacheDir: lying.cacheDir, host: lying.hub.host, ...fast }).then(
    () => assert.fail('should fail'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof ChecksumMismatchError, String(err));
  assert.match(err.message, /git blob id mismatch for preprocessor_config\.json/);
  assert.equal(existsSync(lying.dest('preprocessor_config.json')), false);
});
