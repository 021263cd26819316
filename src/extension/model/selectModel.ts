// "Select Model": the registry models with what each is (current, default, downloaded or the
// download size), the current local folder, and a way to another folder.
import type * as vscode from 'vscode';
import { findMissingFiles, clipFilePlan } from '../../engine/models/hub';
import { folderModelName } from '../../engine/models/names';
import { isModelPath } from '../../engine/models/paths';
import { DEFAULT_MODEL_ID, defaultModelsDir, isClipManifest, listModels, type ClipManifest, type ModelManifest } from '../../engine/models/resolve';
import { formatBytes } from '../../engine/util/format';
import { localModelDir } from '../../engine/models/paths';
import { showOrderedQuickPick } from '../orderedQuickPick';
import { readSettings, settingsBaseDir } from '../settings';
import { modelCacheDir } from './options';
import type { ModelPrompts } from './prompts';

interface ModelPick extends vscode.QuickPickItem {
  spec?: string;
  browse?: boolean;
}

/** One registry model's row: name, id + markers, and what using it costs (nothing when downloaded). */
export function registryRow(m: ClipManifest, o: { current: boolean; downloaded: boolean; missingBytes: number | undefined }): ModelPick {
  const markers = [o.current ? 'current' : '', m.id === DEFAULT_MODEL_ID ? 'default' : ''].filter(Boolean);
  const state = o.downloaded
    ? '$(check) downloaded'
    : o.missingBytes !== undefined
      ? `$(cloud-download) ${formatBytes(o.missingBytes)} download`
      : '$(cloud-download) not downloaded';
  return {
    spec: m.id,
    label: `${o.current ? '$(pass-filled) ' : ''}${m.name}`,
    description: `${m.id}${markers.length ? ` (${markers.join(', ')})` : ''} · ${state}`,
    detail: m.description,
  };
}

export async function selectModel(prompts: ModelPrompts): Promise<boolean> {
  const settings = readSettings();
  const current = settings.model;
  const cacheDir = modelCacheDir(settings);
  const all: ModelManifest[] = await listModels(defaultModelsDir());
  const manifests: ClipManifest[] = all.filter(isClipManifest);
  const picks: ModelPick[] = await Promise.all(
    manifests.map(async (m) => {
      let missingBytes: number | undefined;
      let downloaded = false;
      try {
        const precisions = m.id === current ? { visionPrecision: settings.visionPrecision, textPrecision: settings.textPrecision } : {};
        const choice = clipFilePlan(m, precisions);
        const missing = await findMissingFiles(choice.plan, cacheDir, settings.modelHost);
        downloaded = missing.length === 0;
        // Exact sizes where pinned, else what the towers are reported to weigh.
        const reported = new Map([choice.vision, choice.text].map((f) => [f.path, f.approxSize]));
        const sizes = missing.map((f) => f.size ?? reported.get(f.path));
        missingBytes = sizes.every((n) => n !== undefined) ? sizes.reduce((a, n) => a + n!, 0) : undefined;
      } catch {
        /* a precision the manifest lacks: no size */
      }
      return registryRow(m, { current: m.id === current, downloaded, missingBytes });
    }),
  );
  if (isModelPath(current)) {
    const dir = localModelDir(current, settingsBaseDir());
    picks.unshift({ spec: current, label: `$(pass-filled) ${await folderModelName(dir)}`, description: 'current · local folder', detail: dir });
  }
  picks.push({
    label: '$(folder-opened) Use a local model folder…',
    detail: 'A folder laid out like the Hugging Face ONNX exports (MobileCLIP2, fine-tuned or air-gapped models).',
    browse: true,
  });
  // The registry's order with the local-folder entry last, whatever is typed.
  const chosen = await showOrderedQuickPick(picks, {
    title: 'Select the image-text model',
    placeholder: `Current: ${picks.find((p) => p.spec === current)?.label.replace(/^\$\([^)]+\) /, '') ?? current}`,
    matchOnDescription: true,
    matchOnDetail: true,
  });
  if (!chosen) return false;
  if (chosen.browse) return prompts.useLocalFolder();
  if (!chosen.spec || chosen.spec === current) return chosen.spec === current;
  await prompts.setModel(chosen.spec);
  return true;
}
