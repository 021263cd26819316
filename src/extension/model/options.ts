// Where models are found and downloaded from, and how their engines run, from the settings: one
// rule for the CLIP model, the captioner and the teachers (registry ids and local folders alike).
import * as vscode from 'vscode';
import { defaultCacheDir } from '../../engine/models/resolve';
import { expandHome } from '../../engine/models/paths';
import type { EngineOptions } from '../../engine/types';
import { maxPixelsFromMegapixels } from '../../engine/util/limits';
import { log } from '../log';
import { readSettings, settingsBaseDir, type AssetSettings } from '../settings';

/** The model cache: `mobileclipAssets.modelCacheDir` (`~` is the home folder), else the engine's default. */
export function modelCacheDir(settings: AssetSettings = readSettings()): string {
  const configured = settings.modelCacheDir.trim();
  return configured ? expandHome(configured) : defaultCacheDir();
}

/** What resolving or downloading any model spec needs: the cache, the host and the folder relative paths start from. */
export interface ModelLocation {
  cacheDir: string;
  host: string;
  baseDir: string | undefined;
}

export function modelLocation(settings: AssetSettings = readSettings()): ModelLocation {
  return { cacheDir: modelCacheDir(settings), host: settings.modelHost, baseDir: settingsBaseDir() };
}

/** VS Code's `http.proxy`, which model downloads go through. */
export function proxySetting(): string | undefined {
  return vscode.workspace.getConfiguration('http').get<string>('proxy') || undefined;
}

/** The model host as messages name it ("huggingface.co"). */
export function hostName(settings: AssetSettings = readSettings()): string {
  try {
    return new URL(settings.modelHost).host;
  } catch {
    return settings.modelHost;
  }
}

/** Engine options from the settings, shared by every engine the extension starts (CLIP model, teachers). */
export function engineOptionsFor(settings: AssetSettings, workerScript: string): EngineOptions {
  return {
    executionProvider: settings.executionProvider,
    // 0 = onnxruntime's default (all cores): the worker runs at low priority, so the editor still
    // wins the CPU when it needs it, and bench/RESULTS.md measured one thread at 57 % of the
    // pipeline bound against 94 % with all of them.
    threads: settings.threads,
    batchSize: settings.batchSize,
    background: settings.transparentBackground,
    maxPixels: maxPixelsFromMegapixels(settings.maxImageMegapixels),
    workerScript,
    // Background work in an editor: never compete with typing for the CPU.
    lowPriority: true,
    log: (line) => log().info(line),
  };
}
