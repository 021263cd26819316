// Engine: the ImageTextEmbedder every consumer uses. A thin, typed front of the worker process;
// nothing here decodes images or runs models (that keeps the caller's event loop free).
import type { EmbedImagesOptions, EmbedTextsOptions, ImageTextEmbedder } from './api';
import type { StoredImage } from './reinforce/images';
import type { AugmentationConfig, AugmentParams } from './reinforce/transforms';
import type { EmbedViewsResult, ThumbnailResult, ViewSource, WorkerMemory } from './worker/protocol';
import { type BodyOf, type RequestOptions, type RequestType, type ResultOf, WorkerClient } from './worker/client';
import type { EngineOptions, ImageRequestItem, ImageResult, ModelInfo, ResolvedModel, TextEmbedding, ThumbnailOptions } from './types';

export class Engine implements ImageTextEmbedder {
  private constructor(
    private readonly client: WorkerClient,
    readonly info: ModelInfo,
    readonly model: ResolvedModel,
    readonly options: EngineOptions,
  ) {}

  /**
   * Start a worker process and load `model` into it. Aborting `signal` stops the worker and
   * rejects (a load that a newer setting superseded).
   */
  static async create(model: ResolvedModel, options: EngineOptions = {}, signal?: AbortSignal): Promise<Engine> {
    const { log, workerScript, lowPriority, onWorkerCrash, onWorkerRecovered, ...workerOptions } = options;
    signal?.throwIfAborted();
    const client = new WorkerClient({ script: workerScript, log, lowPriority, onCrash: onWorkerCrash, onRecovered: onWorkerRecovered });
    const stop = () => void client.dispose();
    signal?.addEventListener('abort', stop, { once: true });
    try {
      const info = await client.request({ type: 'load', model, options: workerOptions }, { signal });
      return new Engine(client, info, model, options);
    } catch (err) {
      await client.dispose();
      throw err;
    } finally {
      signal?.removeEventListener('abort', stop);
    }
  }

  /** Starts a new worker (reloading the model) after a crash; a no-op while one runs. */
  revive(): Promise<void> {
    return this.client.revive();
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
    const results = new Array<ImageResult>(list.length);
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

  /** Reinforcement: the image a sample stores, made from `path` (throws with the reason on a bad file). */
  storeImage(path: string, options: { signal?: AbortSignal } = {}): Promise<StoredImage> {
    return this.request({ type: 'storeImage', path }, { signal: options.signal });
  }

  /** Reinforcement: embed stored augmentations of one image, replayed as Apple's loader replays them. */
  embedViews(
    image: ViewSource,
    config: AugmentationConfig,
    views: Array<AugmentParams | { center: true }>,
    sizing: 'reapply' | 'raygen',
    options: { signal?: AbortSignal } = {},
  ): Promise<EmbedViewsResult> {
    return this.request({ type: 'embedViews', image, config, views, sizing }, { signal: options.signal });
  }

  /** The worker process's memory: now and its peak since it started. */
  workerMemory(): Promise<WorkerMemory> {
    return this.request({ type: 'memory' });
  }

  dispose(): Promise<void> {
    return this.client.dispose();
  }
}
