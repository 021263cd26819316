// What an index's embeddings depend on, computed in one place for the extension and the CLI, so
// that an index written by either is used unchanged by the other. Only what changes an embedding
// belongs here (the model's weights and the preprocessing of its input), in one canonical
// spelling: decoder guards such as the pixel cap, thumbnail sizes or vector storage do not.
import * as path from 'node:path';
import { canonicalBackground } from '../preprocess/background';
import { readRegularFile } from '../util/files';
import { MANIFEST_FILE } from './location';
import type { IndexModelIdentity, PreprocessingSettings } from './format';
import type { IndexIdentity } from './store';

/** The settings that change an embedding besides the model (CLI flags or extension settings). */
export interface EmbeddingSettings {
  /** Colour transparent pixels are flattened onto, any accepted spelling ("#FFF", "ffffff"). */
  background?: string;
}

/**
 * The canonical form of embedding settings. Also applied to what an existing index stores, so
 * indexes written before this function existed (which held other keys too, such as maxPixels,
 * or an upper-case colour) stay valid.
 */
export function embeddingSettings(settings: EmbeddingSettings | PreprocessingSettings = {}): PreprocessingSettings {
  const background = typeof settings.background === 'string' ? settings.background : undefined;
  let canonical: string;
  try {
    canonical = canonicalBackground(background);
  } catch {
    canonical = String(background); // not a colour: kept as is, so it never equals a valid one
  }
  return { background: canonical };
}

/** The identity of an index built by `model` with `settings`. */
export function indexIdentity(model: IndexModelIdentity, settings: EmbeddingSettings | PreprocessingSettings = {}): IndexIdentity {
  return { model: { id: model.id, fingerprint: model.fingerprint, dim: model.dim }, preprocessing: embeddingSettings(settings) };
}

/**
 * The model an existing index was built with, as a spec `resolveModel` accepts (a registry id, or
 * "local:<folder>"); undefined when there is no readable index. Commands that read an index use it
 * by default, so that searching an index never needs the model named again.
 */
export async function indexModelSpec(indexDir: string): Promise<string | undefined> {
  let text: string;
  try {
    text = (await readRegularFile(path.join(indexDir, MANIFEST_FILE), { maxBytes: MAX_MANIFEST_BYTES })).toString('utf8');
  } catch {
    return undefined;
  }
  try {
    const id = (JSON.parse(text) as { model?: { id?: unknown } }).model?.id;
    return typeof id === 'string' && id.trim() ? id : undefined;
  } catch {
    return undefined; // a corrupt index is rebuilt with whatever model is asked for
  }
}

/** A manifest lists every image; even a million entries stay well under this. */
const MAX_MANIFEST_BYTES = 1024 * 1024 * 1024;
