// The model's state as the webviews' banners and the status bar show it. No `vscode` import.
import type { ModelStatus } from '../../shared/messages';
import { downloadSizeText, type ModelState } from '../model/state';

export function modelStatus(state: ModelState, workspace: { workspace: boolean; images: boolean }): ModelStatus {
  if (!workspace.workspace) return { kind: 'noWorkspace' };
  const modelName = state.model.name;
  switch (state.kind) {
    case 'missing': {
      const downloadSize = downloadSizeText(state.model);
      return { kind: 'modelMissing', modelName, ...(downloadSize ? { downloadSize } : {}) };
    }
    case 'downloading':
      return { kind: 'downloading', modelName, received: state.bytes, total: state.totalBytes };
    case 'failed':
      return { kind: 'modelFailed', modelName, message: state.failure.message, retry: state.failure.retry };
    case 'crashed':
      return { kind: 'workerCrashed', message: state.message };
    case 'restarting':
      return { kind: 'restarting', modelName };
    case 'loading':
      return { kind: 'loading', modelName };
    case 'idle':
    case 'ready':
      return workspace.images ? { kind: 'ready', modelName } : { kind: 'noImages' };
  }
}
