// Resolving the captioner and teacher models for the captions and dataset commands, the way the
// CLIP model is resolved (registry id or local folder): a registry model that is not downloaded
// yet is offered for download with a cancellable progress notification, from the configured
// model host, verified by the engine's downloader.
import * as vscode from 'vscode';
import {
  captionerFilePlan, CaptionerFolderError, getCaptionerManifest, resolveCaptioner, type ResolvedCaptioner,
} from '../../engine/captions';
import { downloadHubFiles, downloadModel, type DownloadProgress } from '../../engine/models/download';
import { defaultModelsDir, getManifest, isModelPath, ModelNotDownloadedError, resolveModel } from '../../engine/models/resolve';
import type { ResolvedModel } from '../../engine/types';
import { formatBytes, formatDuration } from '../../engine/util/format';
import { log } from '../log';
import type { ModelService } from '../modelService';
import { readSettings, settingsBaseDir, type AssetSettings } from '../settings';
import { errorMessage } from '../../engine/util/errors';

export { settingsBaseDir } from '../settings';

function proxySetting(): string | undefined {
  return vscode.workspace.getConfiguration('http').get<string>('proxy') || undefined;
}

/** Runs a download with a cancellable notification; false when cancelled or failed (the error is shown). */
export async function downloadWithProgress(title: string, run: (signal: AbortSignal, onProgress: (p: DownloadProgress) => void) => Promise<unknown>): Promise<boolean> {
  try {
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
      const abort = new AbortController();
      const sub = token.onCancellationRequested(() => abort.abort());
      let reported = 0;
      try {
        await run(abort.signal, (p) => {
          const pct = p.totalBytes > 0 ? (100 * p.bytes) / p.totalBytes : 0;
          progress.report({
            increment: Math.max(0, pct - reported),
            message: `${formatBytes(p.bytes)} of ${formatBytes(p.totalBytes)} · ${formatBytes(p.bytesPerSecond)}/s · ${formatDuration(p.etaSeconds)} left`,
          });
          reported = Math.max(reported, pct);
        });
      } finally {
        sub.dispose();
      }
    });
    return true;
  } catch (err) {
    if ((err as { name?: string }).name === 'AbortError') return false;
    const message = errorMessage(err);
    log().error(`${title} failed: ${message}`);
    const pick = await vscode.window.showErrorMessage(`${title} failed: ${message.split('\n')[0]}`, 'Retry', 'Show Log');
    if (pick === 'Retry') return downloadWithProgress(title, run);
    if (pick === 'Show Log') log().show();
    return false;
  }
}

/**
 * The configured captioner, ready for the worker. Offers the download when a registry captioner is
 * missing (or a local folder instead). Undefined when the user declines or the folder is unusable
 * (the reason has been shown).
 */
export async function ensureCaptioner(models: ModelService, settings: AssetSettings = readSettings()): Promise<ResolvedCaptioner | undefined> {
  const spec = settings.captions.model;
  const opts = { cacheDir: models.cacheDir(settings), host: settings.modelHost, baseDir: settingsBaseDir() };
  try {
    return await resolveCaptioner(spec, opts);
  } catch (err) {
    if (err instanceof CaptionerFolderError) {
      log().error(err.message);
      const pick = await vscode.window.showErrorMessage(`The captioner folder ${err.dir} cannot be used: ${err.problems.join('; ')}`, 'Open Settings', 'Show Log');
      if (pick === 'Open Settings') await vscode.commands.executeCommand('workbench.action.openSettings', 'mobileclipAssets.captions.model');
      if (pick === 'Show Log') log().show();
      return undefined;
    }
    if (!(err instanceof ModelNotDownloadedError)) throw err;
  }
  const manifest = await getCaptionerManifest(spec);
  const { plan } = captionerFilePlan(manifest);
  const pick = await vscode.window.showInformationMessage(
    `Generating captions needs the ${manifest.name} captioner (${manifest.id}). Download it now? Files come from ${settings.modelHost} and are verified before use.`,
    'Download',
    'Use a Local Folder…',
  );
  if (pick === 'Use a Local Folder…') {
    const folder = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, openLabel: 'Use This Captioner Folder' });
    if (!folder?.[0]) return undefined;
    await vscode.workspace.getConfiguration('mobileclipAssets').update('captions.model', folder[0].fsPath, vscode.ConfigurationTarget.Global);
    return ensureCaptioner(models, readSettings());
  }
  if (pick !== 'Download') return undefined;
  const ok = await downloadWithProgress(`Downloading ${manifest.id}`, (signal, onProgress) =>
    downloadHubFiles(plan, { cacheDir: opts.cacheDir, host: settings.modelHost, proxy: proxySetting(), signal, onProgress }));
  return ok ? resolveCaptioner(spec, opts) : undefined;
}

/** Resolves a teacher (CLIP) model spec without downloading; ModelNotDownloadedError when missing. */
export function resolveTeacher(models: ModelService, spec: string, settings: AssetSettings): Promise<ResolvedModel> {
  return resolveModel(spec, { cacheDir: models.cacheDir(settings), host: settings.modelHost, baseDir: settingsBaseDir() });
}

/**
 * Resolves every teacher, offering one download for all missing registry teachers. Undefined when
 * the user declines or a download fails.
 */
export async function ensureTeachers(models: ModelService, specs: readonly string[], settings: AssetSettings): Promise<ResolvedModel[] | undefined> {
  const missing: string[] = [];
  for (const spec of specs) {
    try {
      await resolveTeacher(models, spec, settings);
    } catch (err) {
      if (err instanceof ModelNotDownloadedError && !isModelPath(spec)) missing.push(spec);
      else throw err;
    }
  }
  if (missing.length) {
    const names = await Promise.all(missing.map(async (id) => (await getManifest(id, defaultModelsDir()).catch(() => undefined))?.name ?? id));
    const pick = await vscode.window.showInformationMessage(
      `The teacher model${missing.length === 1 ? '' : 's'} ${names.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not downloaded yet. Download now? Files come from ${settings.modelHost} and are verified before use.`,
      'Download',
    );
    if (pick !== 'Download') return undefined;
    for (const id of missing) {
      const ok = await downloadWithProgress(`Downloading ${id}`, (signal, onProgress) => downloadModel(id, {
        cacheDir: models.cacheDir(settings), host: settings.modelHost, proxy: proxySetting(), signal, onProgress,
      }));
      if (!ok) return undefined;
    }
  }
  return Promise.all(specs.map((spec) => resolveTeacher(models, spec, settings)));
}
