// A user's own model folder, laid out like the Hugging Face ONNX exports:
//   config.json, preprocessor_config.json, tokenizer.json, onnx/vision_model*.onnx, onnx/text_model*.onnx
// (MobileCLIP2, fine-tuned or air-gapped copies). The tower files are picked by precision.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Precision } from '../types';
import { onnxFileName, precisionOfFile, PRECISION_PREFERENCE } from './precision';

export interface LocalTower {
  path: string;
  precision: Precision;
}

export interface LocalModelFolder {
  dir: string;
  vision: LocalTower;
  text: LocalTower;
  tokenizerPath: string;
  preprocessorConfigPath?: string;
  configPath?: string;
  /** Precisions present per tower, in preference order. */
  available: { vision: Precision[]; text: Precision[] };
}

export class LocalModelError extends Error {
  constructor(
    readonly dir: string,
    readonly problems: string[],
  ) {
    super(
      `The model folder ${dir} cannot be used:\n${problems.map((p) => `  - ${p}`).join('\n')}\nExpected the layout of the Hugging Face ONNX exports: tokenizer.json, preprocessor_config.json, config.json, onnx/vision_model.onnx and onnx/text_model.onnx (or precision variants such as onnx/text_model_int8.onnx).`,
    );
    this.name = 'LocalModelError';
  }
}

export async function resolveLocalFolder(dir: string, opts: { visionPrecision?: Precision; textPrecision?: Precision } = {}): Promise<LocalModelFolder> {
  let st;
  try {
    st = await fs.stat(dir);
  } catch {
    throw new LocalModelError(dir, ['the folder does not exist']);
  }
  if (!st.isDirectory()) throw new LocalModelError(dir, ['this is a file, not a folder']);

  const onnxDir = path.join(dir, 'onnx');
  const onnxNames = await fs.readdir(onnxDir).catch(() => [] as string[]);
  const problems: string[] = [];

  const pick = (base: 'vision_model' | 'text_model', asked: Precision | undefined): { tower?: LocalTower; available: Precision[] } => {
    const present = new Set(onnxNames.map((n) => precisionOfFile(n, base)).filter((p): p is Precision => p !== undefined));
    const available = PRECISION_PREFERENCE.filter((p) => present.has(p));
    const label = base === 'vision_model' ? 'vision' : 'text';
    if (asked) {
      if (present.has(asked)) return { tower: { path: path.join(onnxDir, onnxFileName(base, asked)), precision: asked }, available };
      problems.push(`onnx/${onnxFileName(base, asked)} is missing (asked for the ${asked} ${label} tower; present: ${available.join(', ') || 'none'})`);
      return { available };
    }
    const best = available[0];
    if (best) return { tower: { path: path.join(onnxDir, onnxFileName(base, best)), precision: best }, available };
    problems.push(`no ${label} tower: onnx/${base}.onnx (or a variant such as onnx/${base}_fp16.onnx) is missing`);
    return { available };
  };
  const vision = pick('vision_model', opts.visionPrecision);
  const text = pick('text_model', opts.textPrecision);

  const isFile = async (p: string) => (await fs.stat(p).catch(() => undefined))?.isFile() ?? false;
  const tokenizerPath = path.join(dir, 'tokenizer.json');
  if (!(await isFile(tokenizerPath))) problems.push('tokenizer.json is missing');
  if (problems.length) throw new LocalModelError(dir, problems);

  const preprocessorConfigPath = path.join(dir, 'preprocessor_config.json');
  const configPath = path.join(dir, 'config.json');
  return {
    dir,
    vision: vision.tower!,
    text: text.tower!,
    tokenizerPath,
    preprocessorConfigPath: (await isFile(preprocessorConfigPath)) ? preprocessorConfigPath : undefined,
    configPath: (await isFile(configPath)) ? configPath : undefined,
    available: { vision: vision.available, text: text.available },
  };
}

/** ONNX external-data file next to a graph (Transformers.js names it `<graph>.onnx_data`), if any. */
export async function externalDataFile(onnxPath: string): Promise<string | undefined> {
  const candidate = `${onnxPath}_data`;
  return (await fs.stat(candidate).catch(() => undefined))?.isFile() ? candidate : undefined;
}
