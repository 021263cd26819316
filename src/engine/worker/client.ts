// Parent side of the inference worker: forks the worker process, sends typed requests with ids,
// routes streamed items, forwards cancellation, and survives crashes: a dying worker rejects the
// requests in flight with a clear error, and the next request forks a new one and reloads the
// model before running.
import { type ChildProcess, fork } from 'node:child_process';
import * as os from 'node:os';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { CaptionResult, PixelSignatureResult, WorkerMessage, WorkerRequestBody, WorkerResults } from './protocol';
import type { ImageResult } from '../types';

export type RequestType = WorkerRequestBody['type'];
export type BodyOf<T extends RequestType> = Extract<WorkerRequestBody, { type: T }>;
export type ResultOf<T extends RequestType> = T extends keyof WorkerResults ? WorkerResults[T] : unknown;

export interface RequestOptions {
  /** Streamed per-input results (embedImages, caption). */
  onItem?: (index: number, result: ImageResult | CaptionResult | PixelSignatureResult) => void;
  signal?: AbortSignal;
}

export interface WorkerClientOptions {
  /** Worker entry script; defaults to findWorkerScript(). */
  script?: string;
  log?: (line: string) => void;
  /** Lower the worker's scheduling priority (background work in an editor). */
  lowPriority?: boolean;
  /**
   * The worker died unexpectedly (requests in flight were rejected). The next request, or
   * revive(), starts a new one and reloads the model.
   */
  onCrash?: (message: string) => void;
  /** A worker started after a crash has the model loaded again. */
  onRecovered?: () => void;
}

interface Pending {
  type: RequestType;
  resolve(value: unknown): void;
  reject(err: Error): void;
  onItem?: RequestOptions['onItem'];
  cleanup(): void;
}

const PACKAGE_NAME = 'mobileclip-assets';

/**
 * The worker script: worker.js next to the running bundle (dist/), else dist/worker.js of the
 * package root found by walking up from here (tests and tools running from the TypeScript sources).
 */
export function findWorkerScript(from = __dirname): string {
  const sibling = path.join(from, 'worker.js');
  if (existsSync(sibling)) return sibling;
  for (let dir = from; ; dir = path.dirname(dir)) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === PACKAGE_NAME) {
          const script = path.join(dir, 'dist', 'worker.js');
          if (existsSync(script)) return script;
          throw new Error(`inference worker not built: ${script} is missing (run \`npm run build\`)`);
        }
      } catch (err) {
        if ((err as Error).message.startsWith('inference worker')) throw err;
      }
    }
    if (path.dirname(dir) === dir) break;
  }
  throw new Error(`cannot find the inference worker script (worker.js) near ${from}`);
}

export class WorkerClient {
  private child?: ChildProcess;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  /** The last successful load, replayed into a restarted worker. */
  private loaded?: BodyOf<'load'>;
  private starting?: Promise<void>;
  private disposed = false;
  private readonly script: string;
  private readonly lowPriority: boolean;
  private readonly log: (line: string) => void;
  private readonly onCrash: (message: string) => void;
  private readonly onRecovered: () => void;
  /** The worker died since the model was last loaded: the next start is a recovery. */
  private crashed = false;

  constructor(opts: WorkerClientOptions = {}) {
    this.script = opts.script ?? findWorkerScript();
    this.log = opts.log ?? (() => undefined);
    this.lowPriority = opts.lowPriority ?? false;
    this.onCrash = opts.onCrash ?? (() => undefined);
    this.onRecovered = opts.onRecovered ?? (() => undefined);
  }

  /** Starts a new worker with the model after a crash, without waiting for the next request. */
  async revive(): Promise<void> {
    if (this.disposed) throw new Error('the engine has been disposed');
    if (!this.child) await this.start(true);
  }

  /** Process id of the live worker, if any (tests use it to simulate crashes). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  async request<T extends RequestType>(body: BodyOf<T>, opts: RequestOptions = {}): Promise<ResultOf<T>> {
    if (this.disposed) throw new Error('the engine has been disposed');
    opts.signal?.throwIfAborted();
    if (!this.child) await this.start(body.type !== 'load');
    opts.signal?.throwIfAborted();
    const result = await this.send(body, opts);
    if (body.type === 'load') this.loaded = body as BodyOf<'load'>;
    return result as ResultOf<T>;
  }

  /** Fork a worker; with `reload`, replay the last load so the new worker has the model. */
  private start(reload: boolean): Promise<void> {
    if (!this.starting) {
      this.starting = (async () => {
        this.fork();
        if (reload && this.loaded) await this.send(this.loaded, {});
        if (reload && this.loaded && this.crashed) {
          this.crashed = false;
          this.onRecovered();
        }
      })().finally(() => {
        this.starting = undefined;
      });
    }
    return this.starting;
  }

  private fork(): void {
    const child = fork(this.script, [], {
      serialization: 'advanced',
      // The worker is a self-contained bundle: no loaders, inspectors or test flags of ours.
      execArgv: [],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      // glibc gives every decoding thread its own heap arena, whose freed rows stay resident;
      // two arenas cut the worker's peak while indexing big images by ~40 MB (ignored elsewhere).
      env: { MALLOC_ARENA_MAX: '2', ...process.env, ELECTRON_RUN_AS_NODE: '1' },
    });
    this.child = child;
    if (this.lowPriority && child.pid !== undefined) {
      try {
        os.setPriority(child.pid, os.constants.priority.PRIORITY_BELOW_NORMAL);
      } catch {
        /* not permitted on this platform: run at normal priority */
      }
    }
    const forward = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) this.log(`worker: ${line.trimEnd()}`);
    };
    child.stdout?.on('data', forward);
    child.stderr?.on('data', forward);
    child.on('message', (msg: WorkerMessage) => this.onMessage(msg));
    child.on('error', (err) => this.onExit(child, `could not run the inference worker: ${err.message}`));
    child.on('exit', (code, signal) => {
      const how = signal ? `signal ${signal}` : `exit code ${code}`;
      this.onExit(child, `inference worker crashed (${how}); restarting`);
    });
    this.updateRef();
  }

  private onExit(child: ChildProcess, message: string): void {
    if (this.child !== child) return;
    this.child = undefined;
    if (this.disposed) return;
    this.log(message);
    const err = new Error(message);
    for (const [id, p] of [...this.pending]) {
      this.pending.delete(id);
      p.cleanup();
      p.reject(err);
    }
    if (this.loaded) {
      this.crashed = true;
      this.onCrash(message);
    }
  }

  private send(body: WorkerRequestBody, opts: RequestOptions): Promise<unknown> {
    const child = this.child;
    if (!child) return Promise.reject(new Error('inference worker is not running'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        if (!this.pending.has(id)) return;
        this.pending.delete(id);
        this.updateRef();
        if (this.child?.connected) this.child.send({ type: 'cancel', target: id });
        reject(opts.signal?.reason instanceof Error ? opts.signal.reason : abortError());
      };
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, {
        type: body.type,
        resolve,
        reject,
        onItem: opts.onItem,
        cleanup: () => opts.signal?.removeEventListener('abort', onAbort),
      });
      this.updateRef();
      child.send({ ...body, id }, (err) => {
        if (err && this.pending.has(id)) {
          this.pending.delete(id);
          reject(new Error(`could not reach the inference worker: ${err.message}`));
        }
      });
    });
  }

  private onMessage(msg: WorkerMessage): void {
    switch (msg.type) {
      case 'log':
        this.log(msg.line);
        return;
      case 'ready':
        return;
      case 'item':
        this.pending.get(msg.id)?.onItem?.(msg.index, msg.result);
        return;
      case 'done':
      case 'failed': {
        const p = this.pending.get(msg.id);
        if (!p) return; // cancelled earlier
        this.pending.delete(msg.id);
        p.cleanup();
        this.updateRef();
        if (msg.type === 'done') p.resolve(msg.result);
        else p.reject(new Error(msg.error));
        return;
      }
    }
  }

  /** An idle worker must not keep the parent process alive; a busy one must. */
  private updateRef(): void {
    const child = this.child;
    if (!child) return;
    const busy = this.pending.size > 0 || this.starting !== undefined;
    type Refable = { ref(): void; unref(): void };
    const handles: Array<Refable | undefined> = [
      child,
      (child as unknown as { channel?: Refable }).channel,
      child.stdout as unknown as Refable | undefined,
      child.stderr as unknown as Refable | undefined,
    ];
    for (const h of handles) {
      if (busy) h?.ref?.();
      else h?.unref?.();
    }
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    const child = this.child;
    for (const [id, p] of [...this.pending]) {
      this.pending.delete(id);
      p.cleanup();
      p.reject(new Error('the engine was disposed'));
    }
    if (!child) return;
    const exited = new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else child.once('exit', () => resolve());
    });
    // Disconnecting lets the worker release its sessions and exit; kill it if it does not.
    if (child.connected) child.disconnect();
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
    this.child = undefined;
  }
}

function abortError(): Error {
  const err = new Error('The operation was aborted');
  err.name = 'AbortError';
  return err;
}
