// The bridge from the embedding index to the tagger: one code path for the extension and the CLI.
import type { IndexSnapshot } from '../index/format';
import type { ModelInfo } from '../types';
import type { TagImageInput } from './tagger';

/**
 * The snapshot's images as tagger input (embeddings are views into a float32 snapshot; float16 and
 * int8 rows are decoded once per distinct content).
 * Throws when the index was built by another model than the one embedding the tag prompts: image
 * and text vectors of different models are not comparable.
 */
export function imagesFromSnapshot(snapshot: IndexSnapshot, model?: Pick<ModelInfo, 'id' | 'fingerprint'>): TagImageInput[] {
  if (model && snapshot.model.fingerprint !== model.fingerprint) {
    throw new Error(`the index was built with model ${snapshot.model.id} but tags are embedded with ${model.id}; re-index the folder with the same model`);
  }
  const rows = new Map<number, Float32Array>();
  const rowOf = (row: number): Float32Array => {
    let v = rows.get(row);
    if (!v) rows.set(row, (v = snapshot.vectors.rowView(row)));
    return v;
  };
  return snapshot.entries.map((e) => ({ path: e.path, sha256: e.sha256, embedding: rowOf(e.row) }));
}
