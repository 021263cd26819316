// The bridge from the embedding index to the tagger: one code path for the extension and the CLI.
import type { IndexSnapshot } from '../index/format';
import type { ModelInfo } from '../types';
import type { TagImageInput } from './tagger';

/**
 * The snapshot's images as tagger input: rows of the index's vectors, which the tagger reads when
 * it scores them (no decoded or float32 copy of the index is kept).
 * Throws when the index was built by another model than the one embedding the tag prompts: image
 * and text vectors of different models are not comparable.
 */
export function imagesFromSnapshot(snapshot: IndexSnapshot, model?: Pick<ModelInfo, 'id' | 'fingerprint'>): TagImageInput[] {
  if (model && snapshot.model.fingerprint !== model.fingerprint) {
    throw new Error(`the index was built with model ${snapshot.model.id} but tags are embedded with ${model.id}; re-index the folder with the same model`);
  }
  const vectors = snapshot.vectors;
  return snapshot.entries.map((e) => ({ path: e.path, sha256: e.sha256, vectors, row: e.row }));
}
