// Model downloader: fetches a registry model's files from the Hugging Face hub into the cache
// (`cacheDir/<owner>--<name>/<revision>/<path>`), where resolveModel finds them.
//
// Why not @huggingface/hub (evaluated at 2.17.5): its downloadFileToCacheDir writes the Python
// cache layout (blobs + symlinks, which Windows users often cannot create) and has no resume of
// partial files, no check against our pinned sizes/sha256s and no byte progress; it also pulls
// in a WASM xet dependency. The hub protocol we need is a plain GET with redirects, so this file
// does it with undici (already a dependency, and the only way to get proxy support in Node 20):
// redirects are followed by hand to read the hub's X-Linked-Size / X-Linked-Etag (size and
// sha256 of LFS files, used when the manifest does not pin them), partial files resume with
// HTTP Range, every byte is hashed while streaming, and a file only appears at its final path
// after size + sha256 passed (.part -> fsync -> rename). What vouches for the bytes, in order:
// the sha256 pinned in the manifest; the hub's X-Linked-Etag (sha256 of an LFS file); the hub's
// ETag of a file kept in git (sha1 of the git blob). A file with none of them is refused.
import { createHash, type Hash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Dispatcher } from 'undici';

// undici is about 1 MB of JavaScript: load it when a download starts, not when the extension
// host or the CLI loads this module (it stays external to the bundles, see scripts/build.mjs).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const undici = (): typeof import('undici') => require('undici') as typeof import('undici');
import type { Precision, ResolvedModel } from '../types';
import { ChecksumMismatchError, httpStatusError, ModelDownloadError, ModelOfflineError, UnverifiableDownloadError, type MissingFile } from './errors';
import { clipFilePlan, findMissingFiles, type HubFilePlan } from './hub';
import { getManifest, isClipManifest, type ClipManifest } from './manifest';
import { DEFAULT_HUB_HOST, defaultModelsDir, hubFileDest, hubRevisionDir } from './paths';
import { resolveRegistryModel } from './resolve';
import { readRegularTextFile } from '../util/files';
import { FILE_LIMITS } from '../util/limits';
import { syncDir } from '../util/atomic';

export interface DownloadProgress {
  /** Repo path of the file being transferred. */
  file: string;
  /** 0-based index of that file among the files this call downloads. */
  fileIndex: number;
  fileCount: number;
  /** Bytes of all files of this call that are on disk (resumed parts included); never decreases. */
  bytes: number;
  /** Total bytes of all files of this call (grows only if the hub did not tell a size up front). */
  totalBytes: number;
  bytesPerSecond: number;
  /** Seconds left at the current rate; Infinity while unknown, 0 when done. */
  etaSeconds: number;
}

export interface HubDownloadOptions {
  cacheDir: string;
  host?: string;
  onProgress?: (p: DownloadProgress) => void;
  /** Aborting keeps the .part file, so the next download resumes it. */
  signal?: AbortSignal;
  /** Explicit proxy URL (http://host:port); otherwise HTTPS_PROXY / HTTP_PROXY / NO_PROXY apply. */
  proxy?: string;
  /** Hosts that bypass the explicit proxy (NO_PROXY syntax); defaults to $NO_PROXY. */
  noProxy?: string;
  /** Retries per file on 5xx, 429 and dropped connections (default 3). */
  retries?: number;
  /** First retry delay; doubles each time (default 1000 ms). */
  retryBaseDelayMs?: number;
}

export interface DownloadOptions extends HubDownloadOptions {
  modelsDir?: string;
  visionPrecision?: Precision;
  textPrecision?: Precision;
}

/** Downloads what a registry model needs (skipping files already cached) and resolves it. */
export async function downloadModel(model: string | ClipManifest, opts: DownloadOptions): Promise<ResolvedModel> {
  const manifest = typeof model === 'string' ? await getManifest(model, opts.modelsDir ?? defaultModelsDir()) : model;
  if (!isClipManifest(manifest)) throw new Error(`model "${manifest.id}" is a ${manifest.kind} model, not an image-text (CLIP) model`);
  await downloadHubFiles(clipFilePlan(manifest, opts).plan, opts);
  return resolveRegistryModel(manifest, opts);
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 10;
const OFFLINE_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'ECONNREFUSED', 'ENETUNREACH', 'EHOSTUNREACH']);
const NETWORK_CODES = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE']);
const PROGRESS_INTERVAL_MS = 100;

/** An attempt failed in a way a retry can fix (5xx, dropped connection, short body, odd range). */
class RetryableError extends Error {}

interface FileTask {
  path: string;
  url: string;
  dest: string;
  size?: number;
  /** Pinned in the manifest, else the hub's X-Linked-Etag (LFS files). */
  sha256?: string;
  /** The hub's ETag of a file stored in git itself (not LFS): sha1 of the git blob. */
  gitBlobSha1?: string;
}

/**
 * Downloads the files of `plan` that are not in the cache yet. Kind-agnostic: captioner models
 * can pass their own file list. Returns the absolute destination of every file of the plan.
 */
export async function downloadHubFiles(plan: HubFilePlan, opts: HubDownloadOptions): Promise<string[]> {
  const host = opts.host ?? DEFAULT_HUB_HOST;
  const missing = await findMissingFiles(plan, opts.cacheDir, host);
  const allDests = plan.files.map((f) => hubFileDest(opts.cacheDir, plan.repo, plan.revision, f.path));
  if (missing.length === 0) return allDests;
  throwIfAborted(opts.signal);

  const byPath = new Map(plan.files.map((f) => [f.path, f]));
  const tasks: FileTask[] = missing.map((m) => ({ ...m, sha256: byPath.get(m.path)?.sha256 }));
  const unlock = await acquireLock(hubRevisionDir(opts.cacheDir, plan.repo, plan.revision));
  const session = new Session(plan, tasks, opts);
  try {
    // A file of the right name but the wrong size is not ours to resume: drop it.
    for (const t of tasks) await fs.rm(t.dest, { force: true });
    await session.learnUnknownSizes();
    for (let i = 0; i < tasks.length; i++) await session.downloadFile(i);
    session.finish();
  } finally {
    await unlock();
    await session.close();
  }
  return allDests;
}

class Session {
  private readonly dispatcher: Dispatcher;
  private readonly retries: number;
  private readonly baseDelay: number;
  /** Bytes on disk per task (resumed parts included). */
  private readonly onDisk: number[];
  private reported = 0;
  private lastEmit = 0;
  private transferred = 0;
  private readonly samples: Array<{ t: number; bytes: number }> = [];
  private current = 0;

  constructor(
    private readonly plan: HubFilePlan,
    private readonly tasks: FileTask[],
    private readonly opts: HubDownloadOptions,
  ) {
    this.dispatcher = makeDispatcher(opts.proxy, opts.noProxy);
    this.retries = Math.max(0, opts.retries ?? 3);
    this.baseDelay = Math.max(0, opts.retryBaseDelayMs ?? 1000);
    this.onDisk = tasks.map(() => 0);
  }

  async close(): Promise<void> {
    await this.dispatcher.close().catch(() => undefined); // best effort: the downloads are over either way
  }

  /**
   * Asks the hub for sizes the manifest does not pin, so progress has a total from the start.
   * Best effort: only "offline" stops here; anything else is left for the GET to report.
   */
  async learnUnknownSizes(): Promise<void> {
    for (let i = 0; i < this.tasks.length; i++) {
      const t = this.tasks[i];
      this.onDisk[i] = (await fs.stat(`${t.dest}.part`).catch(() => undefined))?.size ?? 0;
      if (t.size !== undefined) continue;
      try {
        // The hub's own redirect carries X-Linked-Size; signed CDN URLs may refuse HEAD, so stop there.
        const res = await this.open(t.url, 'HEAD', {}, true);
        await res.body.dump();
        t.size ??= res.linkedSize ?? (res.statusCode === 200 ? headerInt(res.headers['content-length']) : undefined);
        t.sha256 ??= res.linkedSha256;
        t.gitBlobSha1 ??= res.gitBlobSha1;
      } catch (err) {
        if (this.opts.signal?.aborted) throw abortReason(this.opts.signal);
        if (isOffline(err)) throw new ModelOfflineError(this.plan.id, this.remaining(i), new URL(t.url).host, err);
      }
    }
  }

  async downloadFile(index: number): Promise<void> {
    this.current = index;
    const t = this.tasks[index];
    await fs.mkdir(path.dirname(t.dest), { recursive: true });
    const part = `${t.dest}.part`;
    const hash = await this.withRetries(index, () => this.fetchToPart(index, part));
    const size = (await fs.stat(part)).size;
    if (t.size !== undefined && size !== t.size) {
      await fs.rm(part, { force: true });
      throw new ChecksumMismatchError(t.path, t.url, `${t.size} bytes`, `${size} bytes`, 'size');
    }
    const actual = hash.digest('hex');
    if (t.sha256 !== undefined && actual !== t.sha256) {
      await fs.rm(part, { force: true });
      throw new ChecksumMismatchError(t.path, t.url, t.sha256, actual, 'sha256');
    }
    if (t.sha256 === undefined) {
      // Neither pinned nor reported by the hub as sha256: only a hub-reported git blob id may vouch for it.
      if (t.gitBlobSha1 === undefined) {
        await fs.rm(part, { force: true });
        throw new UnverifiableDownloadError(t.path, t.url);
      }
      const blob = await gitBlobSha1(part, size);
      if (blob !== t.gitBlobSha1) {
        await fs.rm(part, { force: true });
        throw new ChecksumMismatchError(t.path, t.url, t.gitBlobSha1, blob, 'git blob id');
      }
    }
    await fs.rename(part, t.dest);
    await syncDir(path.dirname(t.dest));
    this.emit(true);
  }

  finish(): void {
    this.emit(true, true);
  }

  private async withRetries<T>(index: number, attempt: () => Promise<T>): Promise<T> {
    for (let n = 0; ; n++) {
      throwIfAborted(this.opts.signal);
      try {
        return await attempt();
      } catch (err) {
        if (this.opts.signal?.aborted) throw abortReason(this.opts.signal);
        if (isOffline(err)) throw new ModelOfflineError(this.plan.id, this.remaining(index), new URL(this.tasks[index].url).host, err);
        if (!isRetryable(err) || n >= this.retries)
          throw err instanceof RetryableError ? new ModelDownloadError(`${err.message} (gave up after ${n + 1} attempts)`, this.tasks[index].url) : err;
        const delay = Math.min(30_000, this.baseDelay * 2 ** n) * (1 + Math.random() * 0.2);
        await sleep(delay, this.opts.signal);
      }
    }
  }

  /** Streams one file into `part`, resuming what is there; returns the hash of the whole file. */
  private async fetchToPart(index: number, part: string): Promise<Hash> {
    const t = this.tasks[index];
    let offset = (await fs.stat(part).catch(() => undefined))?.size ?? 0;
    if (t.size !== undefined && offset > t.size) {
      await fs.rm(part, { force: true });
      offset = 0;
    }
    let hash = createHash('sha256');
    if (offset > 0) {
      // Resume: the hash must cover the bytes already on disk too.
      for await (const chunk of createReadStream(part)) hash.update(chunk as Buffer);
      if (offset === t.size) return hash;
    }
    this.setOnDisk(index, offset);

    const res = await this.open(t.url, 'GET', offset > 0 ? { range: `bytes=${offset}-` } : {});
    t.sha256 ??= res.linkedSha256;
    t.gitBlobSha1 ??= res.gitBlobSha1;
    const range = parseContentRange(res.headers['content-range']);
    if (res.statusCode === 206) {
      if (range?.start !== offset) {
        await res.body.dump();
        await fs.rm(part, { force: true });
        throw new RetryableError(`server answered range ${String(res.headers['content-range'])} to a request from byte ${offset}`);
      }
      t.size ??= range.total;
    } else if (res.statusCode === 200) {
      if (offset > 0) {
        // The server ignored Range: start over cleanly.
        offset = 0;
        hash = createHash('sha256');
        await fs.rm(part, { force: true });
        this.setOnDisk(index, 0);
      }
      t.size ??= res.linkedSize ?? headerInt(res.headers['content-length']);
    } else if (res.statusCode === 416 && offset > 0) {
      await res.body.dump();
      if (range?.total === offset) return hash; // the part was already complete
      await fs.rm(part, { force: true });
      throw new RetryableError(`server refused the range from byte ${offset}`);
    } else {
      await res.body.dump();
      this.failStatus(res.statusCode, t.url);
    }

    const handle = await fs.open(part, offset > 0 ? 'a' : 'w');
    let written = offset;
    try {
      for await (const chunk of res.body) {
        const buf = chunk as Buffer;
        hash.update(buf);
        await handle.write(buf);
        written += buf.length;
        this.transferred += buf.length;
        this.setOnDisk(index, written);
        this.emit(false);
      }
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (t.size !== undefined && written < t.size) throw new RetryableError(`connection closed after ${written} of ${t.size} bytes`);
    return hash;
  }

  private failStatus(status: number, url: string): never {
    if (status >= 500 || status === 429 || status === 408) throw new RetryableError(`HTTP ${status} from ${url}`);
    throw httpStatusError(url, status, this.plan.revision);
  }

  /** GET/HEAD following redirects, collecting the hub's X-Linked-* headers on the way. */
  private async open(url: string, method: 'GET' | 'HEAD', headers: Record<string, string>, stopAtLinkedSize = false) {
    let linkedSize: number | undefined;
    let linkedSha256: string | undefined;
    let gitBlobSha1: string | undefined;
    let current = url;
    for (let hop = 0; ; hop++) {
      const res = await undici().request(current, {
        method,
        headers: { 'user-agent': 'mobileclip-assets', ...headers },
        dispatcher: this.dispatcher,
        signal: this.opts.signal,
        headersTimeout: 60_000,
        bodyTimeout: 60_000,
      });
      linkedSize ??= headerInt(res.headers['x-linked-size']);
      linkedSha256 ??= parseSha256Etag(res.headers['x-linked-etag']);
      // The model host's own answer (no redirect) to a file kept in git: its ETag is the blob's
      // sha1. A CDN's ETag after a redirect means something else and is never used.
      if (hop === 0 && (res.statusCode === 200 || res.statusCode === 206)) gitBlobSha1 = parseGitEtag(res.headers.etag);
      const location = res.headers.location;
      if (!REDIRECTS.has(res.statusCode) || typeof location !== 'string' || (stopAtLinkedSize && linkedSize !== undefined)) {
        return { ...res, linkedSize, linkedSha256, gitBlobSha1 };
      }
      await res.body.dump();
      if (hop >= MAX_REDIRECTS) throw new ModelDownloadError(`too many redirects starting at ${url}`, url);
      current = new URL(location, current).href;
    }
  }

  private setOnDisk(index: number, bytes: number): void {
    this.onDisk[index] = bytes;
  }

  private remaining(from: number): MissingFile[] {
    return this.tasks.slice(from).map(({ path: p, url, dest, size }) => ({ path: p, url, dest, ...(size !== undefined ? { size } : {}) }));
  }

  private emit(force: boolean, done = false): void {
    const onProgress = this.opts.onProgress;
    if (!onProgress) return;
    const now = Date.now();
    if (!force && now - this.lastEmit < PROGRESS_INTERVAL_MS) return;
    this.lastEmit = now;
    const totalBytes = this.tasks.reduce((sum, t, i) => sum + Math.max(t.size ?? 0, this.onDisk[i]), 0);
    this.reported = Math.min(
      totalBytes,
      Math.max(
        this.reported,
        this.onDisk.reduce((a, b) => a + b, 0),
      ),
    );
    if (done) this.reported = totalBytes;
    // Rate over the last few seconds of this session's transfer (resumed bytes do not count).
    this.samples.push({ t: now, bytes: this.transferred });
    while (this.samples.length > 2 && now - this.samples[0].t > 5_000) this.samples.shift();
    const first = this.samples[0];
    const seconds = (now - first.t) / 1000;
    const bytesPerSecond = seconds > 0 ? (this.transferred - first.bytes) / seconds : 0;
    const left = totalBytes - this.reported;
    onProgress({
      file: this.tasks[this.current].path,
      fileIndex: this.current,
      fileCount: this.tasks.length,
      bytes: this.reported,
      totalBytes,
      bytesPerSecond,
      etaSeconds: left <= 0 ? 0 : bytesPerSecond > 0 ? left / bytesPerSecond : Infinity,
    });
  }
}

function makeDispatcher(proxy: string | undefined, noProxy: string | undefined): Dispatcher {
  // proxyTunnel false: plain http:// targets are forwarded like curl does; https:// still uses CONNECT.
  if (proxy) return new (undici().EnvHttpProxyAgent)({ httpProxy: proxy, httpsProxy: proxy, noProxy, proxyTunnel: false });
  const env = process.env;
  if (env.HTTPS_PROXY || env.https_proxy || env.HTTP_PROXY || env.http_proxy) return new (undici().EnvHttpProxyAgent)({ proxyTunnel: false });
  return new (undici().Agent)();
}

function errorCode(err: unknown): string | undefined {
  const e = err as { code?: unknown; cause?: { code?: unknown } } | undefined;
  const code = e?.code ?? e?.cause?.code;
  return typeof code === 'string' ? code : undefined;
}

function isOffline(err: unknown): boolean {
  const code = errorCode(err);
  return code !== undefined && OFFLINE_CODES.has(code);
}

function isRetryable(err: unknown): boolean {
  if (err instanceof RetryableError) return true;
  const code = errorCode(err);
  return code !== undefined && (NETWORK_CODES.has(code) || (code.startsWith('UND_ERR_') && code !== 'UND_ERR_ABORTED'));
}

function headerInt(value: string | string[] | undefined): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
}

/** The hub's X-Linked-Etag is the LFS sha256, quoted (sometimes weak). */
function parseSha256Etag(value: string | string[] | undefined): string | undefined {
  const v = (Array.isArray(value) ? value[0] : value)?.replace(/^W\//, '').replace(/"/g, '').trim().toLowerCase();
  return v && /^[0-9a-f]{64}$/.test(v) ? v : undefined;
}

/** A git object id (40 hex) in an ETag header, else undefined. */
function parseGitEtag(value: string | string[] | undefined): string | undefined {
  const v = (Array.isArray(value) ? value[0] : value)?.replace(/^W\//, '').replace(/"/g, '').trim().toLowerCase();
  return v && /^[0-9a-f]{40}$/.test(v) ? v : undefined;
}

/** sha1 of "blob <size>\0" + the bytes: git's id of the file, what the hub's ETag names for files kept in git. */
async function gitBlobSha1(file: string, size: number): Promise<string> {
  const hash = createHash('sha1').update(`blob ${size}\0`);
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function parseContentRange(value: string | string[] | undefined): { start?: number; total?: number } | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  const m = v && /^bytes\s+(?:(\d+)-\d+|\*)\/(\d+|\*)$/.exec(v.trim());
  if (!m) return undefined;
  return { start: m[1] !== undefined ? Number(m[1]) : undefined, total: m[2] !== '*' ? Number(m[2]) : undefined };
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The download was cancelled', 'AbortError');
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortReason(signal);
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- the signal's own reason, as node:timers/promises rejects
      reject(abortReason(signal!));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** One download per model revision at a time (another window or the CLI may be at it). */
async function acquireLock(dir: string): Promise<() => Promise<void>> {
  await fs.mkdir(dir, { recursive: true });
  const lock = path.join(dir, '.download.lock');
  for (let attempt = 0; ; attempt++) {
    try {
      await fs.writeFile(lock, String(process.pid), { flag: 'wx' });
      return () => fs.rm(lock, { force: true });
    } catch (err) {
      if (errorCode(err) !== 'EEXIST' || attempt > 0) throw err;
      const pid = Number(await readRegularTextFile(lock, { maxBytes: FILE_LIMITS.config }).catch(() => ''));
      if (Number.isSafeInteger(pid) && pid > 0 && isAlive(pid)) {
        throw new Error(`another download of this model is running (process ${pid}); wait for it to finish, or delete ${lock} if that process is gone`);
      }
      await fs.rm(lock, { force: true }); // left behind by a process that died
    }
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errorCode(err) === 'EPERM';
  }
}
