// What a request handler gets from the worker: the loaded model (if any), a way to stream
// per-item messages and logs, and whether the caller cancelled this request.
import type { LoadedModel } from '../../inference/model';
import type { DecodeOptions } from '../../preprocess/pipeline';
import type { EngineOptions } from '../../types';
import type { WorkerMessage, WorkerRequest, WorkerRequestBody, WorkerResults } from '../protocol';

export interface WorkerState {
  model?: LoadedModel;
  options: Omit<EngineOptions, 'log' | 'workerScript'>;
  decode: DecodeOptions;
}

export interface HandlerContext {
  readonly id: number;
  readonly state: WorkerState;
  send(message: WorkerMessage): void;
  log: (line: string) => void;
  /** True once the parent sent a cancel for this request; long handlers check it between steps. */
  cancelled: () => boolean;
}

export type RequestOf<T extends WorkerRequestBody['type']> = Extract<WorkerRequest, { type: T }>;

export type Handler<T extends WorkerRequestBody['type']> = (request: RequestOf<T>, ctx: HandlerContext) => Promise<T extends keyof WorkerResults ? WorkerResults[T] : unknown>;

export function requireModel(state: WorkerState): LoadedModel {
  if (!state.model) throw new Error('no model loaded in the inference worker');
  return state.model;
}

export class CancelledError extends Error {
  override name = 'CancelledError';
  constructor() {
    super('cancelled');
  }
}
