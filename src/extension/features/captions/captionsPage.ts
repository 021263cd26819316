// The captions of some images as a readable page (not the raw JSON).
import * as path from 'node:path';
import { loadCaptionStore, relativeCaptionPath } from '../../../engine/captions';
import { describeModel } from '../../../engine/models/names';
import { localModelDir } from '../../../engine/models/paths';
import { showReport } from '../../reports';
import { readSettings, settingsBaseDir } from '../../settings';
import { captionsMarkdown } from './captionsView';

/** The captions of `images` (absolute paths) from the captions file `file`. */
export async function showCaptionsPage(file: string, images: readonly string[]): Promise<void> {
  const root = path.dirname(path.dirname(file));
  const store = await loadCaptionStore(root, file);
  const only = new Set(images.map((p) => relativeCaptionPath(root, p)));
  // A run records a local captioner by its folder's name only (the file is shared): when that is
  // the configured captioner's folder, name it as the configured one names itself.
  const configured = readSettings().captions.model;
  const baseDir = settingsBaseDir();
  const specs = [...new Set([...store.runs.values()].map((r) => r.model))];
  const modelNames = new Map(
    await Promise.all(
      specs.map(async (spec) => {
        const local = spec.startsWith('local:') && path.basename(localModelDir(configured, baseDir)) === spec.slice('local:'.length);
        return [spec, (await describeModel(local ? configured : spec, { baseDir })).name] as const;
      }),
    ),
  );
  const markdown = captionsMarkdown(store, { title: path.basename(root), modelNames, only: only.size ? only : undefined });
  await showReport(`Captions of ${path.basename(root)}`, markdown);
}
