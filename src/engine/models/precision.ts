// ONNX file naming of the Hugging Face / Transformers.js exports: one file per precision,
// `<base><suffix>.onnx`, e.g. `onnx/vision_model_int8.onnx`.
import type { Precision } from '../types';

export const PRECISION_SUFFIX: Readonly<Record<Precision, string>> = {
  fp32: '',
  fp16: '_fp16',
  q8: '_quantized',
  int8: '_int8',
  uint8: '_uint8',
  q4: '_q4',
  bnb4: '_bnb4',
};

export const PRECISIONS = Object.keys(PRECISION_SUFFIX) as Precision[];

/**
 * Preference when the caller did not ask for a precision: full precision first, then half,
 * then the 8-bit and 4-bit quantizations. Quantized vision towers lose accuracy badly, so
 * they only win when nothing better is present.
 */
export const PRECISION_PREFERENCE: readonly Precision[] = ['fp32', 'fp16', 'int8', 'q8', 'uint8', 'q4', 'bnb4'];

export function isPrecision(value: unknown): value is Precision {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(PRECISION_SUFFIX, value);
}

/** `vision_model_int8.onnx` -> 'int8' for base `vision_model`; undefined for other names. */
export function precisionOfFile(fileName: string, base: string): Precision | undefined {
  if (!fileName.startsWith(base) || !fileName.endsWith('.onnx')) return undefined;
  const suffix = fileName.slice(base.length, -'.onnx'.length);
  return PRECISIONS.find((p) => PRECISION_SUFFIX[p] === suffix);
}

export function onnxFileName(base: string, precision: Precision): string {
  return `${base}${PRECISION_SUFFIX[precision]}.onnx`;
}
