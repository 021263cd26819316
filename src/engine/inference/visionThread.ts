// The vision tower on a thread of its own. onnxruntime-node's run() holds the thread that calls it
// for the whole batch; on the worker's main thread that stalled the decoding of the next images
// (every step of a decode needs the event loop), so decoding and inference took turns. With the
// session on a worker thread the main thread keeps decoding while a batch runs: the stages overlap.
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { Worker, parentPort, workerData } from 'node:worker_threads';
import { VisionTower, type VisionTowerOptions } from './towers';

/** What the worker needs from a vision tower: VisionTower itself, or its proxy on a thread. */
export interface VisionModel {
  readonly provider: string;
  readonly imageSize: number;
  readonly dim: number;
  readonly dynamicBatch: boolean;
  /** L2-normalized embeddings of CHW float32 tensors of size 3 x imageSize x imageSize. */
  embed(tensors: readonly Float32Array[], batchSize: number): Promise<Float32Array[]>;
  release(): Promise<void>;
}

/** The thread's script, bundled next to worker.js (absent when running from the TypeScript sources). */
export function visionThreadScript(dir = __dirname): string | undefined {
  const file = path.join(dir, 'vision-thread.js');
  return existsSync(file) ? file : undefined;
}

interface ThreadData {
  file: string;
  options: Omit<VisionTowerOptions, 'log'>;
  candidates?: string[];
}

type ToThread = { type: 'embed'; id: number; batch: Float32Array; count: number; batchSize: number } | { type: 'release' };
type FromThread =
  | { type: 'ready'; provider: string; imageSize: number; dim: number; dynamicBatch: boolean }
  | { type: 'log'; line: string }
  | { type: 'result'; id: number; embeddings: Float32Array[] }
  | { type: 'error'; id?: number; message: string }
  | { type: 'released' };

interface Pending {
  resolve(embeddings: Float32Array[]): void;
  reject(err: Error): void;
}

export class ThreadedVisionTower implements VisionModel {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private failure: Error | undefined;
  private released: Promise<void> | undefined;

  private constructor(
    private readonly worker: Worker,
    readonly provider: string,
    readonly imageSize: number,
    readonly dim: number,
    readonly dynamicBatch: boolean,
  ) {
    worker.on('message', (msg: FromThread) => {
      if (msg.type === 'result') this.settle(msg.id)?.resolve(msg.embeddings);
      else if (msg.type === 'error' && msg.id !== undefined) this.settle(msg.id)?.reject(new Error(msg.message));
    });
    const fail = (err: Error) => {
      this.failure ??= err;
      for (const [id, p] of [...this.pending]) {
        this.pending.delete(id);
        p.reject(err);
      }
    };
    worker.on('error', (err) => fail(new Error(`the inference thread failed: ${err.message}`)));
    worker.on('exit', (code) => fail(new Error(`the inference thread exited (code ${code})`)));
    // An idle thread must not keep the process alive (the worker exits when its parent goes).
    worker.unref();
  }

  /** Start the thread and load the tower in it; rejects with the load error. */
  static load(script: string, file: string, opts: VisionTowerOptions, candidates?: string[]): Promise<ThreadedVisionTower> {
    const { log, ...options } = opts;
    const data: ThreadData = { file, options, candidates };
    const worker = new Worker(script, { workerData: data });
    return new Promise((resolve, reject) => {
      const onMessage = (msg: FromThread) => {
        if (msg.type === 'log') log?.(msg.line);
        else if (msg.type === 'ready') {
          cleanup();
          worker.on('message', (m: FromThread) => {
            if (m.type === 'log') log?.(m.line);
          });
          resolve(new ThreadedVisionTower(worker, msg.provider, msg.imageSize, msg.dim, msg.dynamicBatch));
        } else if (msg.type === 'error') {
          cleanup();
          void worker.terminate();
          reject(new Error(msg.message));
        }
      };
      const onError = (err: Error) => {
        cleanup();
        reject(new Error(`could not start the inference thread: ${err.message}`));
      };
      const onExit = (code: number) => {
        cleanup();
        reject(new Error(`the inference thread exited while loading (code ${code})`));
      };
      const cleanup = () => {
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
      };
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
    });
  }

  private settle(id: number): Pending | undefined {
    const p = this.pending.get(id);
    this.pending.delete(id);
    return p;
  }

  embed(tensors: readonly Float32Array[], batchSize: number): Promise<Float32Array[]> {
    if (this.failure) return Promise.reject(this.failure);
    if (!tensors.length) return Promise.resolve([]);
    const plane = 3 * this.imageSize * this.imageSize;
    for (const t of tensors) {
      if (t.length !== plane) {
        return Promise.reject(new Error(`input tensor has ${t.length} values, the model takes 3x${this.imageSize}x${this.imageSize}`));
      }
    }
    // One buffer per call, handed over (not copied) to the thread; the caller's tensors stay intact.
    const batch = new Float32Array(tensors.length * plane);
    tensors.forEach((t, i) => batch.set(t, i * plane));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      const msg: ToThread = { type: 'embed', id, batch, count: tensors.length, batchSize };
      this.worker.postMessage(msg, [batch.buffer]);
    });
  }

  release(): Promise<void> {
    this.released ??= new Promise<void>((resolve) => {
      if (this.failure) {
        resolve();
        return;
      }
      const timer = setTimeout(() => void this.worker.terminate(), 2000);
      this.worker.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      this.worker.postMessage({ type: 'release' } satisfies ToThread);
    });
    return this.released;
  }
}

/** Body of the thread (visionThreadMain.ts): load the tower, then embed what the worker sends. */
export function runVisionThread(): void {
  const port = parentPort;
  if (!port) throw new Error('runVisionThread() runs on a worker thread only');
  const { file, options, candidates } = workerData as ThreadData;
  const send = (msg: FromThread, transfer: ArrayBuffer[] = []) => port.postMessage(msg, transfer);
  const log = (line: string) => send({ type: 'log', line });
  let queue = Promise.resolve();
  VisionTower.load(file, { ...options, log }, candidates).then(
    (tower) => {
      port.on('message', (msg: ToThread) => {
        queue = queue.then(async () => {
          if (msg.type === 'release') {
            await tower.release().catch((err: unknown) => log(`vision thread: releasing the session failed: ${err instanceof Error ? err.message : String(err)}`));
            send({ type: 'released' });
            port.close();
            return;
          }
          try {
            const plane = 3 * tower.imageSize * tower.imageSize;
            const tensors = Array.from({ length: msg.count }, (_, i) => msg.batch.subarray(i * plane, (i + 1) * plane));
            const embeddings = await tower.embed(tensors, msg.batchSize);
            send(
              { type: 'result', id: msg.id, embeddings },
              embeddings.map((e) => e.buffer as ArrayBuffer),
            );
          } catch (err) {
            send({ type: 'error', id: msg.id, message: err instanceof Error ? err.message : String(err) });
          }
        });
      });
      send({ type: 'ready', provider: tower.provider, imageSize: tower.imageSize, dim: tower.dim, dynamicBatch: tower.dynamicBatch });
    },
    (err: unknown) => {
      send({ type: 'error', message: err instanceof Error ? err.message : String(err) });
      port.close();
    },
  );
}
