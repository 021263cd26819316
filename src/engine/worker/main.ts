// Entry of the inference worker process (bundled to dist/worker.js). Receives WorkerRequests over
// the IPC channel, runs them through the handler table one at a time per kind of work, and
// answers with item/done/failed messages. All model inference and image decoding happen here.
import sharp from 'sharp';
import { DEFAULT_MAX_PIXELS, parseBackground } from '../preprocess/pipeline';
import { handlers } from './handlers';
import type { HandlerContext, WorkerState } from './handlers/context';
import type { CancelMessage, WorkerMessage, WorkerRequest } from './protocol';

// Every file is decoded once and never again: libvips' operation cache would only hold memory.
sharp.cache(false);

const state: WorkerState = {
  options: {},
  decode: { background: parseBackground(undefined), maxPixels: DEFAULT_MAX_PIXELS },
};
const cancelled = new Set<number>();
/**
 * A load runs alone (after everything in flight, before anything newer); other requests
 * interleave, so a search query's text embedding answers between the batches of a long
 * indexing run instead of waiting for all of it.
 */
let loading: Promise<void> = Promise.resolve();
const inFlight = new Set<Promise<void>>();

function schedule(req: WorkerRequest): void {
  if (req.type === 'load') {
    const others = [...inFlight];
    loading = loading.then(() => Promise.allSettled(others)).then(() => handle(req));
    return;
  }
  const run = loading.then(() => handle(req));
  inFlight.add(run);
  void run.finally(() => inFlight.delete(run));
}

function send(message: WorkerMessage): void {
  if (process.connected) process.send!(message);
}

function log(line: string): void {
  send({ type: 'log', line });
}

function isCancel(msg: unknown): msg is CancelMessage {
  return !!msg && typeof msg === 'object' && (msg as { type?: unknown }).type === 'cancel';
}

async function handle(req: WorkerRequest): Promise<void> {
  if (cancelled.has(req.id)) {
    cancelled.delete(req.id);
    send({ type: 'failed', id: req.id, error: 'cancelled' });
    return;
  }
  const handler = handlers[req.type] as ((r: WorkerRequest, c: HandlerContext) => Promise<unknown>) | undefined;
  if (!handler) {
    send({ type: 'failed', id: req.id, error: `unknown request type ${JSON.stringify(req.type)}` });
    return;
  }
  const ctx: HandlerContext = {
    id: req.id,
    state,
    send,
    log,
    cancelled: () => cancelled.has(req.id),
  };
  try {
    const result = await handler(req, ctx);
    send({ type: 'done', id: req.id, result });
  } catch (err) {
    send({ type: 'failed', id: req.id, error: err instanceof Error ? err.message : String(err) });
  } finally {
    cancelled.delete(req.id);
  }
}

process.on('message', (msg: unknown) => {
  if (isCancel(msg)) {
    cancelled.add(msg.target);
    return;
  }
  const req = msg as WorkerRequest;
  if (!req || typeof req !== 'object' || typeof req.id !== 'number') return;
  schedule(req);
});

// The parent owns this process: when it goes away (even without a goodbye), so do we.
process.on('disconnect', () => {
  void Promise.resolve(state.model?.release()).finally(() => process.exit(0));
  setTimeout(() => process.exit(0), 1000).unref();
});

send({ type: 'ready', pid: process.pid });
