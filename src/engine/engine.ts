// Engine: the ImageTextEmbedder every consumer uses. A thin, typed front of the worker process;
// nothing here decodes images or runs models (that keeps the caller's event loop free).
import type { EmbedImagesOptions, EmbedTextsOptions, ImageTextEmbedder } from './api';
import type { ThumbnailResult, WorkerMemory } from './worker/protocol';
import { type BodyOf, type RequestOptions, type RequestType, type ResultOf, WorkerClient } from './worker/client';
import type { EngineOptions, ImageRequestItem, ImageResult, ModelInfo, ResolvedModel, TextEmbedding, ThumbnailOptions } from './types';

export class Engine implements ImageTextEmbedder {
  private constructor(
    private readonly client: WorkerClient,
    readonly info: ModelInfo,
    readonly model: ResolvedModel,
    readonly options: EngineOptions,
  ) {}

  /** Start a worker process and load `model` into it. */
  static async create(model: ResolvedModel, options: EngineOptions = {}): Promise<Engine> {
    const { log, workerScript, lowPriority, ...workerOptions } = options;
    const client = new WorkerClient({ script: workerScript, log, lowPriority });
    try {
      const info = await client.request({ type: 'load', model, options: workerOptions });
      return new Engine(client, info, model, options);
    } catch (err) {
      await client.dispose();
      throw err;
    }
  }

  /** Process id of the current worker (undefined between a crash and the next request). */
  get workerPid(): number | undefined {
    return this.client.pid;
  }

  /** Send any worker request; other modules add engine methods on top of this. */
  request<T extends RequestType>(body: BodyOf<T>, opts: RequestOptions = {}): Promise<ResultOf<T>> {
    return this.client.request(body, opts);
  }

  async embedImages(items: ReadonlyArray<string | ImageRequestItem>, options: EmbedImagesOptions = {}): Promise<ImageResult[]> {
    const list: ImageRequestItem[] = items.map((it) => (typeof it === 'string' ? { path: it } : { ...it }));
    const results: ImageResult[] = new Array(list.length);
    if (!list.length) return results;
    let done = 0;
    await this.request(
      { type: 'embedImages', items: list, thumbnails: options.thumbnails },
      {
        signal: options.signal,
        onItem: (index, result) => {
          const r = result as ImageResult;
          if (results[index] === undefined) done++;
          results[index] = r;
          options.onResult?.(r, index, { done, total: list.length });
        },
      },
    );
    // A worker always answers every item; fill any gap rather than return holes.
    for (let i = 0; i < list.length; i++) results[i] ??= { input: list[i].path, error: 'no result from the inference worker' };
    return results;
  }

  async embedTexts(texts: readonly string[], options: EmbedTextsOptions = {}): Promise<TextEmbedding[]> {
    if (!texts.length) return [];
    return this.request({ type: 'embedTexts', texts: [...texts] }, { signal: options.signal });
  }

  /** Decode one image and write its thumbnail (no model involved). */
  thumbnail(path: string, thumbnails: ThumbnailOptions, options: { signal?: AbortSignal } = {}): Promise<ThumbnailResult> {
    return this.request({ type: 'thumbnail', path, thumbnails }, { signal: options.signal });
  }

  /** The worker process's memory: now and its peak since it started. */
  workerMemory(): Promise<WorkerMemory> {
    return this.request({ type: 'memory' });
  }

  dispose(): Promise<void> {
    return this.client.dispose();
  }
}
