// Caption generation with @huggingface/transformers (4.x), inside the inference worker process
// only. Transformers.js runs the ONNX sessions through the project's single onnxruntime-node;
// it is ESM-first, so it is loaded with a dynamic import() on first use.
//
// Sampling, and what Transformers.js 4.3.1 does and does not support:
// - top-k + temperature sampling works (do_sample, top_k, temperature).
// - top_p is ignored: generate() never adds a top-p warper (and TopPLogitsWarper has no _call).
// - num_return_sequences > 1 is not implemented: the sampler returns one token per batch row.
//   So N captions are N rows of one batch: the image is encoded once (batch 1) and the decoder
//   runs N rows side by side (decoder_input_ids with N start tokens, Transformers.js repeats the
//   encoder output). generate() only stops when every row ends with EOS at the same step, so a
//   logits processor keeps finished rows emitting EOS (what HF's Python does with padding).
// - Randomness: the sampler draws from Transformers.js' own global MT19937 (`random`, not
//   Math.random). Seeding it with random.seed(imageSeed(seed, sha256, round)) before each
//   generate() makes captions reproducible per (settings, image bytes). The worker runs requests
//   one at a time, so nothing else draws from the generator in between.
// - Duplicates: captions are compared normalized (case, whitespace, punctuation); missing ones are
//   sampled again in further rounds (fresh seed per round), at most MAX_ROUNDS rounds in total.
import * as path from 'node:path';
import type { DecodeOptions, ModelPreprocess } from '../preprocess/pipeline';
import { preprocessImage } from '../preprocess/pipeline';
import { loadPreprocessConfig, resolveGeometry } from '../preprocess/config';
import type { CaptionerArchitecture } from './models';
import { imageSeed, type CaptionSettings } from './settings';
import { addDistinct } from './text';

// eslint-disable-next-line @typescript-eslint/no-unsafe-assignment -- false positive: the rule reads the import attributes as a value
type Transformers = typeof import('@huggingface/transformers', { with: { 'resolution-mode': 'import' } });
type Tensor = InstanceType<Transformers['Tensor']>;

/** Sampling rounds per image before settling for fewer distinct captions than asked. */
export const MAX_ROUNDS = 4;
/** Florence-2's task prompt for a one-sentence caption. */
const FLORENCE_TASK = '<CAPTION>';

let transformersPromise: Promise<Transformers> | undefined;

/** Transformers.js, configured for local files only (no hub access, no cache writes). */
export function loadTransformers(): Promise<Transformers> {
  transformersPromise ??= import('@huggingface/transformers').then((tf) => {
    tf.env.allowRemoteModels = false;
    tf.env.allowLocalModels = true;
    tf.env.useFSCache = false;
    tf.env.useBrowserCache = false;
    return tf;
  });
  return transformersPromise;
}

export interface CaptionerLoadOptions {
  dir: string;
  dtype?: Record<string, string>;
  /** onnxruntime intra-op threads (0/undefined = onnxruntime's default). */
  threads?: number;
}

export class CancelledCaptioning extends Error {
  override name = 'CancelledError';
  constructor() {
    super('cancelled');
  }
}

/** A loaded captioner: Transformers.js model + tokenizer, and the project's preprocessing. */
export class Captioner {
  private constructor(
    private readonly tf: Transformers,
    readonly key: string,
    readonly architecture: CaptionerArchitecture,
    // Transformers.js' model classes are loosely typed; only generate()/dispose() are used.
    private readonly model: { generate(args: Record<string, unknown>): Promise<unknown>; dispose(): Promise<unknown> },
    private readonly tokenizer: { batch_decode(t: Tensor, o: { skip_special_tokens: boolean }): string[] },
    readonly preprocess: ModelPreprocess,
    private readonly decoderStart: number,
    private readonly eos: number[],
    private readonly prompt?: { ids: bigint[]; mask: bigint[] },
  ) {}

  static keyOf(opts: CaptionerLoadOptions): string {
    return JSON.stringify([path.resolve(opts.dir), opts.dtype ?? null, opts.threads ?? 0]);
  }

  static async load(opts: CaptionerLoadOptions): Promise<Captioner> {
    const tf = await loadTransformers();
    const dir = path.resolve(opts.dir);
    const config = (await tf.AutoConfig.from_pretrained(dir)) as unknown as {
      model_type: string;
      decoder_start_token_id?: number;
      bos_token_id?: number;
      eos_token_id?: number | number[];
    };
    const architecture: CaptionerArchitecture | undefined =
      config.model_type === 'vision-encoder-decoder' ? 'vision-encoder-decoder' : config.model_type === 'florence2' ? 'florence2' : undefined;
    if (!architecture) throw new Error(`unsupported captioner: config.json model_type is ${JSON.stringify(config.model_type)} (supported: vision-encoder-decoder, florence2)`);
    const loadOpts = {
      dtype: opts.dtype as never,
      device: 'cpu' as const,
      local_files_only: true,
      session_options: opts.threads ? { intraOpNumThreads: opts.threads } : {},
    };
    const ModelClass = architecture === 'florence2' ? tf.Florence2ForConditionalGeneration : tf.AutoModelForVision2Seq;
    const model = (await ModelClass.from_pretrained(dir, loadOpts)) as unknown as Captioner['model'] & { generation_config?: Record<string, unknown> };
    try {
      const tokenizer = await tf.AutoTokenizer.from_pretrained(dir, { local_files_only: true });
      // generation_config.json wins over config.json, but only where it has a value.
      const gen = (model.generation_config ?? {}) as Record<string, unknown>;
      const pick = (key: string) => gen[key] ?? (config as unknown as Record<string, unknown>)[key];
      const eosRaw = pick('eos_token_id');
      const eos = (Array.isArray(eosRaw) ? eosRaw : [eosRaw]).filter((v): v is number => typeof v === 'number');
      const start = [pick('decoder_start_token_id'), pick('bos_token_id')].find((v): v is number => typeof v === 'number');
      if (start === undefined || eos.length === 0)
        throw new Error('the captioner has no decoder_start_token_id/bos_token_id or eos_token_id in config.json / generation_config.json');

      let prompt: { ids: bigint[]; mask: bigint[] } | undefined;
      if (architecture === 'florence2') {
        const processor = (await tf.AutoProcessor.from_pretrained(dir, { local_files_only: true })) as unknown as { construct_prompts(t: string): string[] };
        const enc = (tokenizer as unknown as (t: string) => { input_ids: Tensor; attention_mask: Tensor })(processor.construct_prompts(FLORENCE_TASK)[0]!);
        prompt = { ids: Array.from(enc.input_ids.data as BigInt64Array), mask: Array.from(enc.attention_mask.data as BigInt64Array) };
      }

      const preprocessConfig = await loadPreprocessConfig(path.join(dir, 'preprocessor_config.json'));
      const encoderSize = (config as unknown as { encoder?: { image_size?: unknown } }).encoder?.image_size;
      const imageSize =
        preprocessConfig.crop?.width ??
        (preprocessConfig.resize?.kind === 'exact' ? preprocessConfig.resize.width : preprocessConfig.resize?.shortestEdge) ??
        (typeof encoderSize === 'number' ? encoderSize : undefined);
      if (!imageSize) throw new Error('neither preprocessor_config.json (size) nor config.json (encoder.image_size) gives the input image size');
      const preprocess: ModelPreprocess = { config: preprocessConfig, geometry: resolveGeometry(preprocessConfig, imageSize), imageSize };
      return new Captioner(tf, Captioner.keyOf(opts), architecture, model, tokenizer as unknown as Captioner['tokenizer'], preprocess, start, eos, prompt);
    } catch (err) {
      await model.dispose().catch(() => undefined);
      throw err;
    }
  }

  /** Decode + preprocess one image file with the project's one decoder. */
  prepare(file: string, decode: DecodeOptions) {
    return preprocessImage(file, { ...decode, model: this.preprocess });
  }

  /**
   * Up to `settings.count` distinct captions for one preprocessed image (fewer only when
   * MAX_ROUNDS rounds of sampling did not find enough distinct ones).
   */
  async caption(pixels: Float32Array, width: number, height: number, sha256: string, settings: CaptionSettings, cancelled: () => boolean): Promise<string[]> {
    const tf = this.tf;
    const kept: string[] = [];
    for (let round = 0; round < MAX_ROUNDS && kept.length < settings.count; round++) {
      const missing = settings.count - kept.length;
      // Later rounds oversample: duplicates are likely exactly where the first round fell short.
      const rows = round === 0 ? missing : Math.min(2 * missing, 2 * settings.count);
      // eslint-disable-next-line @typescript-eslint/no-unsafe-call -- Transformers.js 4.3.1 declares `random.seed` as `any`
      tf.random.seed(imageSeed(settings.seed, sha256, round));
      const output = await this.model.generate({
        ...this.inputs(pixels, width, height, rows),
        do_sample: true,
        num_beams: 1,
        top_k: settings.topK,
        temperature: settings.temperature,
        max_new_tokens: settings.maxNewTokens,
        logits_processor: [this.finishedRowsEmitEos()],
        stopping_criteria: [this.stopWhen(cancelled)],
      });
      if (cancelled()) throw new CancelledCaptioning();
      addDistinct(kept, this.tokenizer.batch_decode(output as Tensor, { skip_special_tokens: true }), settings.count);
    }
    return kept;
  }

  private inputs(pixels: Float32Array, width: number, height: number, rows: number): Record<string, unknown> {
    const tf = this.tf;
    if (this.architecture === 'vision-encoder-decoder') {
      // One encoder pass; generate() repeats its output for the `rows` decoder rows.
      return {
        inputs: new tf.Tensor('float32', pixels, [1, 3, height, width]),
        decoder_input_ids: new tf.Tensor('int64', new BigInt64Array(rows).fill(BigInt(this.decoderStart)), [rows, 1]),
      };
    }
    // Florence-2 merges image features with the prompt before its encoder: give it `rows` copies.
    const prompt = this.prompt!;
    const batchPixels = new Float32Array(pixels.length * rows);
    for (let r = 0; r < rows; r++) batchPixels.set(pixels, r * pixels.length);
    const repeat = (v: bigint[]) => BigInt64Array.from({ length: v.length * rows }, (_, i) => v[i % v.length]!);
    return {
      pixel_values: new tf.Tensor('float32', batchPixels, [rows, 3, height, width]),
      input_ids: new tf.Tensor('int64', repeat(prompt.ids), [rows, prompt.ids.length]),
      attention_mask: new tf.Tensor('int64', repeat(prompt.mask), [rows, prompt.mask.length]),
    };
  }

  /** Rows that already produced EOS keep producing it, so the batch stops when all rows are done. */
  private finishedRowsEmitEos() {
    const eos = this.eos;
    const isEos = (t: bigint) => eos.some((e) => BigInt(e) === t);
    return new (class extends this.tf.LogitsProcessor {
      override _call(inputIds: bigint[][], logits: Tensor) {
        for (let row = 0; row < inputIds.length; row++) {
          // Position 0 is the decoder start token (for GPT-2 it *is* the EOS token).
          if (!inputIds[row]!.slice(1).some(isEos)) continue;
          const data = (logits as unknown as Tensor[])[row]!.data as Float32Array;
          data.fill(-Infinity);
          data[eos[0]!] = 0;
        }
        return logits;
      }
    })();
  }

  private stopWhen(cancelled: () => boolean) {
    return new (class extends this.tf.StoppingCriteria {
      override _call(inputIds: number[][]) {
        return new Array<boolean>(inputIds.length).fill(cancelled());
      }
    })();
  }

  async dispose(): Promise<void> {
    await this.model.dispose();
  }
}
