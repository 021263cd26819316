// Commands about the model itself: choose one, download it, restart the worker.
import * as vscode from 'vscode';
import { defaultModelsDir, listModels, isClipManifest, type ModelManifest } from '../../engine/models/resolve';
import { formatBytes } from '../../engine/util/format';
import { showOrderedQuickPick } from '../orderedQuickPick';

interface ModelPick extends vscode.QuickPickItem {
  spec?: string;
  browse?: boolean;
}

export async function selectModel(): Promise<boolean> {
  const current = vscode.workspace.getConfiguration('mobileclipAssets').get<string>('model', 'mobileclip-s0');
  const all: ModelManifest[] = await listModels(defaultModelsDir()).catch(() => []);
  const manifests = all.filter(isClipManifest);
  const picks: ModelPick[] = manifests.map((m) => {
    const vision = m.files.vision[m.defaults.vision]?.size;
    const text = m.files.text[m.defaults.text]?.size;
    const size = vision && text ? ` · ${formatBytes(vision + text)} download` : '';
    return {
      spec: m.id,
      label: m.name,
      description: `${m.id}${m.id === current ? ' (current)' : ''}`,
      detail: `${m.description ?? ''}${size}`.trim(),
    };
  });
  picks.push({ label: '$(folder-opened) Use a local model folder…', detail: 'A folder laid out like the Hugging Face ONNX exports (MobileCLIP2, fine-tuned or air-gapped models).', browse: true });
  // The registry's order with the local-folder entry last, whatever is typed.
  const chosen = await showOrderedQuickPick(picks, { title: 'Select the image-text model', matchOnDescription: true, matchOnDetail: true });
  if (!chosen) return false;
  let spec = chosen.spec;
  if (chosen.browse) {
    const folder = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, openLabel: 'Use This Model Folder' });
    spec = folder?.[0]?.fsPath;
  }
  if (!spec) return false;
  await vscode.workspace.getConfiguration('mobileclipAssets').update('model', spec, vscode.ConfigurationTarget.Global);
  return true;
}
