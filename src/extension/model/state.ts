// The model's states as the UI sees them (see ./service.ts for the state machine), and the labels
// of the actions that lead out of a state without a working model.
import type { ModelInfo } from '../../engine/types';
import { formatBytes } from '../../engine/util/format';
import type { ModelFailure } from './failure';

/** The configured model as the UI names it. */
export interface ModelRef {
  spec: string;
  /** The manifest's name for a registry model, the folder's own name for a local one. */
  name: string;
  /** A registry model (can be downloaded); false for a local folder. */
  registry: boolean;
  /** Registry model: bytes of the image and text towers (what a download costs), each when known. */
  towerBytes?: [number | undefined, number | undefined];
}

export type ModelState =
  | { kind: 'idle'; model: ModelRef }
  | { kind: 'missing'; model: ModelRef }
  | { kind: 'downloading'; model: ModelRef; bytes: number; totalBytes: number; etaSeconds: number }
  | { kind: 'loading'; model: ModelRef }
  | { kind: 'ready'; model: ModelRef; info: ModelInfo }
  | { kind: 'failed'; model: ModelRef; failure: ModelFailure }
  | { kind: 'crashed'; model: ModelRef; message: string }
  | { kind: 'restarting'; model: ModelRef };

export type ModelStateKind = ModelState['kind'];

export const USE_LOCAL_FOLDER = 'Use Local Folder…';
export const SELECT_MODEL = 'Select Model';
export const SHOW_DETAILS = 'Show Details';
export const RETRY = 'Retry';

/** "46 MB + 43 MB" for a registry model's two towers ("86 MB + text tower" when one size is unknown). */
export function downloadSizeText(model: ModelRef): string | undefined {
  const [vision, text] = model.towerBytes ?? [undefined, undefined];
  if (vision === undefined && text === undefined) return undefined;
  return `${vision !== undefined ? formatBytes(vision) : 'image tower'} + ${text !== undefined ? formatBytes(text) : 'text tower'}`;
}
