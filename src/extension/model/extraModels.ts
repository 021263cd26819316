// The captioner and the teacher models of the captions and dataset commands, resolved the way
// the CLIP model is (./options.ts: registry id or local folder): a registry model that is not
// downloaded yet is offered for download with the one progress notification, from the
// configured model host, verified by the engine's downloader.
import * as vscode from 'vscode';
import { captionerFilePlan, CaptionerFolderError, getCaptionerManifest, resolveCaptioner, type ResolvedCaptioner } from '../../engine/captions';
import { downloadHubFiles, downloadModel } from '../../engine/models/download';
import { isModelPath } from '../../engine/models/paths';
import { defaultModelsDir, getManifest, ModelNotDownloadedError, resolveModel } from '../../engine/models/resolve';
import type { ResolvedModel } from '../../engine/types';
import { errorMessage, firstLineOf, isAbortError } from '../../engine/util/errors';
import { log } from '../log';
import { readSettings, type AssetSettings } from '../settings';
import { withDownloadProgress, type DownloadRun } from './downloadProgress';
import { modelLocation, proxySetting } from './options';

/** Runs a download with the progress notification; false when cancelled or failed (the error is shown, with Retry). */
export async function downloadWithProgress(title: string, run: DownloadRun): Promise<boolean> {
  try {
    await withDownloadProgress(title, run);
    return true;
  } catch (err) {
    if (isAbortError(err)) return false;
    log().error(`${title} failed: ${errorMessage(err)}`);
    const pick = await vscode.window.showErrorMessage(`${title} failed: ${firstLineOf(err)}`, 'Retry', 'Show Log');
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
export async function ensureCaptioner(settings: AssetSettings = readSettings()): Promise<ResolvedCaptioner | undefined> {
  const spec = settings.captions.model;
  const location = modelLocation(settings);
  try {
    return await resolveCaptioner(spec, location);
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
    return ensureCaptioner(readSettings());
  }
  if (pick !== 'Download') return undefined;
  const ok = await downloadWithProgress(`Downloading ${manifest.id}`, (signal, onProgress) =>
    downloadHubFiles(plan, { cacheDir: location.cacheDir, host: location.host, proxy: proxySetting(), signal, onProgress }),
  );
  return ok ? resolveCaptioner(spec, location) : undefined;
}

/** Resolves a teacher (CLIP) model spec without downloading; ModelNotDownloadedError when missing. */
export function resolveTeacher(spec: string, settings: AssetSettings): Promise<ResolvedModel> {
  return resolveModel(spec, modelLocation(settings));
}

/** Whether a teacher is usable without a download. */
export function teacherAvailable(spec: string, settings: AssetSettings): Promise<boolean> {
  return resolveTeacher(spec, settings).then(
    () => true,
    () => false,
  );
}

/**
 * Resolves every teacher, offering one download for all missing registry teachers. Undefined when
 * the user declines or a download fails.
 */
export async function ensureTeachers(specs: readonly string[], settings: AssetSettings): Promise<ResolvedModel[] | undefined> {
  const missing: string[] = [];
  for (const spec of specs) {
    try {
      await resolveTeacher(spec, settings);
    } catch (err) {
      if (err instanceof ModelNotDownloadedError && !isModelPath(spec)) missing.push(spec);
      else throw err;
    }
  }
  if (missing.length && !(await downloadTeachers(missing, settings))) return undefined;
  return Promise.all(specs.map((spec) => resolveTeacher(spec, settings)));
}

async function downloadTeachers(ids: readonly string[], settings: AssetSettings): Promise<boolean> {
  // A name for the question only: the id is good enough when the manifest cannot be read.
  const names = await Promise.all(ids.map(async (id) => (await getManifest(id, defaultModelsDir()).catch(() => undefined))?.name ?? id));
  const pick = await vscode.window.showInformationMessage(
    `The teacher model${ids.length === 1 ? '' : 's'} ${names.join(', ')} ${ids.length === 1 ? 'is' : 'are'} not downloaded yet. Download now? Files come from ${settings.modelHost} and are verified before use.`,
    'Download',
  );
  if (pick !== 'Download') return false;
  const location = modelLocation(settings);
  for (const id of ids) {
    const ok = await downloadWithProgress(`Downloading ${id}`, (signal, onProgress) =>
      downloadModel(id, {
        cacheDir: location.cacheDir,
        host: location.host,
        proxy: proxySetting(),
        signal,
        onProgress,
      }),
    );
    if (!ok) return false;
  }
  return true;
}
