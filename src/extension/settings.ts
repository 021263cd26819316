// Typed view of the extension's settings (contributed in package.json). Settings that choose
// what code or data is loaded (model, host, cache, captioner, teachers) are declared in
// `capabilities.untrustedWorkspaces.restrictedConfigurations`, so VS Code only returns their
// user-level values in an untrusted workspace.
import * as vscode from 'vscode';
import type { ExecutionProviderSetting, Precision } from '../engine/types';

const SECTION = 'mobileclipAssets';

export interface AssetSettings {
  model: string;
  modelHost: string;
  modelCacheDir: string;
  /** Only when the user chose one: otherwise the model's own default (registry manifest, or the best file of a local folder). */
  visionPrecision: Precision | undefined;
  textPrecision: Precision | undefined;
  executionProvider: ExecutionProviderSetting;
  threads: number;
  batchSize: number;
  transparentBackground: string;
  maxImageMegapixels: number;
  index: {
    autoIndex: boolean;
    include: string[];
    exclude: string[];
    respectGitignore: boolean;
    useExcludeSettings: boolean;
    maxFileSizeMB: number;
    location: 'workspaceStorage' | 'repository';
    vectorPrecision: 'float32' | 'float16' | 'int8';
  };
  search: { threshold: number; maxResults: number };
  tags: { vocabulary: Record<string, unknown>; maxPerImage: number; writeXmpSidecars: boolean; autoTag: boolean };
  captions: { model: string; count: number; seed: number; topK: number; temperature: number };
  reinforce: { augmentations: number; teachers: string[]; seed: number };
}

export function readSettings(scope?: vscode.ConfigurationScope): AssetSettings {
  const c = vscode.workspace.getConfiguration(SECTION, scope);
  const get = <T>(key: string, fallback: T): T => c.get<T>(key, fallback);
  return {
    model: get('model', 'mobileclip-s0').trim() || 'mobileclip-s0',
    modelHost: get('modelHost', 'https://huggingface.co').replace(/\/+$/, ''),
    modelCacheDir: get('modelCacheDir', ''),
    visionPrecision: explicit<Precision>(c, 'visionPrecision'),
    textPrecision: explicit<Precision>(c, 'textPrecision'),
    executionProvider: get<ExecutionProviderSetting>('executionProvider', 'auto'),
    threads: get('threads', 0),
    batchSize: get('batchSize', 16),
    transparentBackground: get('transparentBackground', '#ffffff'),
    maxImageMegapixels: get('maxImageMegapixels', 1500),
    index: {
      autoIndex: get('index.autoIndex', true),
      include: get('index.include', ['**/*.{png,jpg,jpeg,gif,webp,avif,tiff,tif,svg}']),
      exclude: get('index.exclude', ['**/node_modules/**', '**/.git/**', '**/.mobileclip/**']),
      respectGitignore: get('index.respectGitignore', true),
      useExcludeSettings: get('index.useExcludeSettings', true),
      maxFileSizeMB: get('index.maxFileSizeMB', 64),
      location: get<'workspaceStorage' | 'repository'>('index.location', 'workspaceStorage'),
      vectorPrecision: get<'float32' | 'float16' | 'int8'>('index.vectorPrecision', 'float16'),
    },
    search: { threshold: get('search.threshold', 0.175), maxResults: get('search.maxResults', 60) },
    tags: {
      vocabulary: get<Record<string, unknown>>('tags.vocabulary', {}),
      maxPerImage: get('tags.maxPerImage', 5),
      writeXmpSidecars: get('tags.writeXmpSidecars', false),
      autoTag: get('tags.autoTag', true),
    },
    captions: {
      model: get('captions.model', 'captioner-vit-gpt2'),
      count: get('captions.count', 5),
      seed: get('captions.seed', 0),
      topK: get('captions.topK', 20),
      temperature: get('captions.temperature', 1),
    },
    reinforce: {
      augmentations: get('reinforce.augmentations', 10),
      teachers: get<string[]>('reinforce.teachers', []),
      seed: get('reinforce.seed', 0),
    },
  };
}

/** A setting's value only if the user (or workspace) set it, not its contributed default. */
function explicit<T>(c: vscode.WorkspaceConfiguration, key: string): T | undefined {
  const i = c.inspect<T>(key);
  return i?.workspaceFolderValue ?? i?.workspaceValue ?? i?.globalValue;
}

/** Globs from files.exclude / search.exclude that are switched on (value `true`). */
export function editorExcludeGlobs(scope?: vscode.ConfigurationScope): string[] {
  const globs = new Set<string>();
  for (const section of ['files.exclude', 'search.exclude']) {
    const map = vscode.workspace.getConfiguration(undefined, scope).get<Record<string, unknown>>(section) ?? {};
    for (const [glob, on] of Object.entries(map)) if (on === true) globs.add(glob);
  }
  return [...globs];
}

export function affectsEngine(e: vscode.ConfigurationChangeEvent): boolean {
  return ['model', 'modelHost', 'modelCacheDir', 'visionPrecision', 'textPrecision', 'executionProvider', 'threads',
    'batchSize', 'transparentBackground', 'maxImageMegapixels'].some((k) => e.affectsConfiguration(`${SECTION}.${k}`));
}
