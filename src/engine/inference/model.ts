// Loads a resolved model folder into ready-to-run towers + tokenizer + preprocessing, and reports
// what the files say about it (ModelInfo). Runs inside the worker process only.
import { loadPreprocessConfig, resolveGeometry, type PreprocessConfig, type ResolvedGeometry } from '../preprocess/config';
import { ClipTokenizer } from '../text/tokenizer';
import type { EngineOptions, ModelInfo, ResolvedModel } from '../types';
import { TextTower, VisionTower } from './towers';
import { ThreadedVisionTower, type VisionModel, visionThreadScript } from './visionThread';

export interface LoadedModel {
  info: ModelInfo;
  vision: VisionModel;
  text: TextTower;
  tokenizer: ClipTokenizer;
  preprocess: { config: PreprocessConfig; geometry: ResolvedGeometry; imageSize: number };
  release(): Promise<void>;
}

/** The square size the preprocessor config implies (crop size, else the resize size). */
function configImageSize(cfg: PreprocessConfig): number | undefined {
  if (cfg.doCenterCrop && cfg.crop && cfg.crop.width === cfg.crop.height) return cfg.crop.width;
  if (cfg.resize?.kind === 'shortestEdge') return cfg.resize.shortestEdge;
  if (cfg.resize?.kind === 'exact' && cfg.resize.width === cfg.resize.height) return cfg.resize.width;
  return undefined;
}

export async function loadModel(model: ResolvedModel, options: Omit<EngineOptions, 'workerScript'>): Promise<LoadedModel> {
  const config = await loadPreprocessConfig(model.preprocessorConfigPath);
  const settings = { executionProvider: options.executionProvider, threads: options.threads, log: options.log };
  const visionOptions = { ...settings, configImageSize: configImageSize(config) };
  // On a thread of its own when bundled (see visionThread.ts), so decoding overlaps inference.
  const script = visionThreadScript();
  const vision: VisionModel = script ? await ThreadedVisionTower.load(script, model.visionModelPath, visionOptions) : await VisionTower.load(model.visionModelPath, visionOptions);
  let text: TextTower | undefined;
  try {
    // The text tower follows the provider the vision tower settled on (no second fallback dance).
    text = await TextTower.load(model.textModelPath, settings, vision.provider === 'cpu' ? ['cpu'] : [vision.provider, 'cpu']);
    const tokenizer = await ClipTokenizer.load(model.tokenizerPath, text.contextLength ? { contextLength: text.contextLength } : {});
    const imageSize = vision.imageSize;
    const geometry = resolveGeometry(config, imageSize);
    const info: ModelInfo = {
      id: model.id,
      fingerprint: model.fingerprint,
      dim: vision.dim,
      imageSize,
      contextLength: tokenizer.contextLength,
      executionProvider: vision.provider,
      dynamicBatch: vision.dynamicBatch,
    };
    const t = text;
    options.log?.(
      `loaded ${model.id}: ${info.dim}-d embeddings, ${imageSize}px images, ` +
        `${vision.dynamicBatch ? 'batched' : 'one image per run'}, running on ${info.executionProvider}` +
        (options.threads ? ` with ${options.threads} threads` : ''),
    );
    return {
      info,
      vision,
      text: t,
      tokenizer,
      preprocess: { config, geometry, imageSize },
      async release() {
        await Promise.allSettled([vision.release(), t.release()]);
      },
    };
  } catch (err) {
    await Promise.allSettled([vision.release(), text?.release()]);
    throw err;
  }
}
