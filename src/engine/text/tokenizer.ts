// CLIP text tokenization for the text tower: a model folder's tokenizer.json run by
// @huggingface/tokenizers, shaped into the fixed-length int64 rows the ONNX graph takes.
//
// Row layout: [start, ...text tokens, end, 0, 0, ...], exactly `contextLength` long.
// The text tower pools the feature at argmax(ids), i.e. at the end token (the largest id),
// so a long text keeps its first contextLength-2 tokens and the end token stays last; a
// plain cut after adding special tokens would drop it and pool the wrong position.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { readRegularTextFile } from '../util/files';
import { FILE_LIMITS } from '../util/limits';

/** CLIP's context length, used when tokenizer_config.json does not say. */
export const CLIP_CONTEXT_LENGTH = 77;
/** MobileCLIP/OpenCLIP pad token ids with 0 (not with the end token as HF's CLIP does). */
export const CLIP_PAD_ID = 0;
const CLIP_START = { token: '<|startoftext|>', id: 49406 };
const CLIP_END = { token: '<|endoftext|>', id: 49407 };

/** Context lengths outside this range in tokenizer_config.json are placeholders (HF writes 1e30). */
const MAX_SANE_CONTEXT = 4096;

export interface ClipTokenizerOptions {
  /** Overrides tokenizer_config.json's model_max_length. */
  contextLength?: number;
  /** Defaults to tokenizer_config.json next to tokenizer.json, when it exists. */
  tokenizerConfigPath?: string;
}

type TokenizerConfig = Record<string, unknown>;

/** What is used of @huggingface/tokenizers' Tokenizer, typed here: the package's ESM declarations import
 *  extensionless paths that Node16 resolution cannot follow, so its own types arrive unresolved. */
interface Tokenizer {
  encode(text: string, options: { add_special_tokens: boolean }): { ids: number[] };
  decode(ids: number[], options: { skip_special_tokens: boolean }): string;
  token_to_id(token: string): number | undefined;
}
type TokenizerModule = { Tokenizer: new (json: object, config: object) => Tokenizer };

export class ClipTokenizer {
  private constructor(
    private readonly tokenizer: Tokenizer,
    readonly contextLength: number,
    readonly startId: number,
    readonly endId: number,
    readonly padId: number,
  ) {}

  static async load(tokenizerJsonPath: string, opts: ClipTokenizerOptions = {}): Promise<ClipTokenizer> {
    const json = await readJson(tokenizerJsonPath, 'tokenizer');
    const configPath = opts.tokenizerConfigPath ?? path.join(path.dirname(tokenizerJsonPath), 'tokenizer_config.json');
    const config = opts.tokenizerConfigPath !== undefined || (await exists(configPath)) ? await readJson(configPath, 'tokenizer config') : {};
    const { Tokenizer: TokenizerClass } = (await import('@huggingface/tokenizers')) as unknown as TokenizerModule;
    let tokenizer: Tokenizer;
    try {
      tokenizer = new TokenizerClass(json, config);
    } catch (err) {
      throw new Error(`invalid tokenizer ${tokenizerJsonPath}: ${(err as Error).message}`);
    }
    const contextLength = opts.contextLength ?? configContextLength(config) ?? CLIP_CONTEXT_LENGTH;
    if (!Number.isInteger(contextLength) || contextLength < 2) {
      throw new Error(`context length must be an integer >= 2, got ${contextLength}`);
    }
    const startId = specialId(tokenizer, config.bos_token, CLIP_START);
    const endId = specialId(tokenizer, config.eos_token, CLIP_END);
    return new ClipTokenizer(tokenizer, contextLength, startId, endId, CLIP_PAD_ID);
  }

  /** Token ids of one text as the model sees them, without padding: [start, ..., end]. */
  encodeIds(text: string): number[] {
    const ids = this.tokenizer.encode(text, { add_special_tokens: false }).ids;
    const body = ids
      // A literal "<|endoftext|>" typed by a user must not become a second pooling position.
      .filter((id) => id !== this.startId && id !== this.endId)
      .slice(0, this.contextLength - 2);
    return [this.startId, ...body, this.endId];
  }

  /** Row-major [texts.length, contextLength] int64 ids, padded with padId. */
  encode(texts: readonly string[]): BigInt64Array {
    const out = new BigInt64Array(texts.length * this.contextLength).fill(BigInt(this.padId));
    texts.forEach((text, row) => {
      this.encodeIds(text).forEach((id, col) => {
        out[row * this.contextLength + col] = BigInt(id);
      });
    });
    return out;
  }

  /** Text of token ids, special tokens and padding dropped (for logs and tests). */
  decode(ids: readonly number[]): string {
    const kept = ids.filter((id) => id !== this.padId && id !== this.startId && id !== this.endId);
    return kept.length ? this.tokenizer.decode(kept, { skip_special_tokens: true }).trim() : '';
  }
}

function configContextLength(config: TokenizerConfig): number | undefined {
  const value = config.model_max_length;
  return typeof value === 'number' && Number.isInteger(value) && value >= 2 && value <= MAX_SANE_CONTEXT ? value : undefined;
}

/** Id of a special token named by the config (string or {content}), else CLIP's, else CLIP's id. */
function specialId(tokenizer: Tokenizer, configured: unknown, fallback: { token: string; id: number }): number {
  const name =
    typeof configured === 'string'
      ? configured
      : configured && typeof configured === 'object' && typeof (configured as { content?: unknown }).content === 'string'
        ? (configured as { content: string }).content
        : undefined;
  return (name !== undefined ? tokenizer.token_to_id(name) : undefined) ?? tokenizer.token_to_id(fallback.token) ?? fallback.id;
}

async function readJson(file: string, what: string): Promise<TokenizerConfig> {
  let text: string;
  try {
    text = await readRegularTextFile(file, { maxBytes: what === 'tokenizer' ? FILE_LIMITS.tokenizer : FILE_LIMITS.config });
  } catch (err) {
    throw new Error(`cannot read ${what} ${file}: ${(err as Error).message}`);
  }
  try {
    const value: unknown = JSON.parse(text);
    if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error('not a JSON object');
    return value as TokenizerConfig;
  } catch (err) {
    throw new Error(`invalid ${what} ${file}: ${(err as Error).message}`);
  }
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}
