// Typed view of the extension's settings (contributed in package.json). Settings that choose
// what code or data is loaded (model, host, cache, captioner, teachers) or that bound memory and
// writes (maxImageMegapixels, index.maxFileSizeMB, index.location, tags.writeXmpSidecars) are
// declared in `capabilities.untrustedWorkspaces.restrictedConfigurations` and read through
// settingsAccess.ts: in an untrusted workspace only user and remote values count. Every number
// is clamped to the engine's table (engine/util/limits.ts) whatever its source.
import * as vscode from 'vscode';
import type { ExecutionProviderSetting, Precision } from '../engine/types';
import { DEFAULT_DUPLICATE_THRESHOLDS } from '../engine/duplicates/group';
import { DEFAULT_INCLUDE } from '../engine/index/scan';
import { DEFAULT_RANKING, isRankingMode, type RankingMode } from '../engine/search/ranking';
import { clampSetting, type LimitKey } from '../engine/util/limits';
import { settingValue } from './settingsAccess';

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
    /** Only when the user chose one: otherwise an existing index keeps its storage (the CLI's default too). */
    vectorPrecision: 'float32' | 'float16' | 'int8' | undefined;
  };
  search: { threshold: number; maxResults: number; ranking: RankingMode };
  tags: { vocabulary: Record<string, unknown>; maxPerImage: number; writeXmpSidecars: boolean; autoTag: boolean };
  captions: { model: string; count: number; seed: number; topK: number; temperature: number };
  reinforce: { augmentations: number; teachers: string[]; seed: number };
  duplicates: { embedding: number; structure: number; detail: number; colour: number };
}

export function readSettings(scope?: vscode.ConfigurationScope): AssetSettings {
  const c = vscode.workspace.getConfiguration(SECTION, scope);
  const trusted = vscode.workspace.isTrusted;
  const get = <T>(key: string, fallback: T): T => settingValue(c, key, fallback, trusted);
  // Numbers may come from a repository's .vscode/settings.json: always within the engine's table.
  const num = (key: LimitKey, fallback: number): number => clampSetting(key, settingValue<unknown>(c, key, fallback, trusted), fallback);
  return {
    model: get('model', 'mobileclip-s0').trim() || 'mobileclip-s0',
    modelHost: get('modelHost', 'https://huggingface.co').replace(/\/+$/, ''),
    modelCacheDir: get('modelCacheDir', ''),
    visionPrecision: explicit<Precision>(c, 'visionPrecision'),
    textPrecision: explicit<Precision>(c, 'textPrecision'),
    executionProvider: get<ExecutionProviderSetting>('executionProvider', 'auto'),
    threads: num('threads', 0),
    batchSize: num('batchSize', 16),
    transparentBackground: get('transparentBackground', '#ffffff'),
    maxImageMegapixels: num('maxImageMegapixels', 1500),
    index: {
      autoIndex: get('index.autoIndex', true),
      include: get('index.include', DEFAULT_INCLUDE),
      exclude: get('index.exclude', ['**/node_modules/**', '**/.git/**', '**/.mobileclip/**']),
      respectGitignore: get('index.respectGitignore', true),
      useExcludeSettings: get('index.useExcludeSettings', true),
      maxFileSizeMB: num('index.maxFileSizeMB', 64),
      location: get<'workspaceStorage' | 'repository'>('index.location', 'workspaceStorage'),
      vectorPrecision: explicit<'float32' | 'float16' | 'int8'>(c, 'index.vectorPrecision'),
    },
    search: { threshold: num('search.threshold', 0.175), maxResults: num('search.maxResults', 60), ranking: rankingSetting(get('search.ranking', DEFAULT_RANKING)) },
    tags: {
      vocabulary: get<Record<string, unknown>>('tags.vocabulary', {}),
      maxPerImage: num('tags.maxPerImage', 5),
      writeXmpSidecars: get('tags.writeXmpSidecars', false),
      autoTag: get('tags.autoTag', true),
    },
    captions: {
      model: get('captions.model', 'captioner-vit-gpt2'),
      count: num('captions.count', 5),
      seed: num('captions.seed', 0),
      topK: num('captions.topK', 20),
      temperature: num('captions.temperature', 1),
    },
    reinforce: {
      augmentations: num('reinforce.augmentations', 10),
      teachers: get<string[]>('reinforce.teachers', []),
      seed: num('reinforce.seed', 0),
    },
    duplicates: {
      embedding: num('duplicates.embeddingThreshold', DEFAULT_DUPLICATE_THRESHOLDS.embedding),
      structure: num('duplicates.pixelThreshold', DEFAULT_DUPLICATE_THRESHOLDS.structure),
      detail: num('duplicates.detailThreshold', DEFAULT_DUPLICATE_THRESHOLDS.detail),
      colour: num('duplicates.colorThreshold', DEFAULT_DUPLICATE_THRESHOLDS.colour),
    },
  };
}

function rankingSetting(value: unknown): RankingMode {
  return isRankingMode(value) ? value : DEFAULT_RANKING;
}

/** Folder that relative model paths in settings are resolved against. */
export function settingsBaseDir(): string | undefined {
  return vscode.workspace.workspaceFolders?.find((f) => f.uri.scheme === 'file')?.uri.fsPath;
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
  return [
    'model',
    'modelHost',
    'modelCacheDir',
    'visionPrecision',
    'textPrecision',
    'executionProvider',
    'threads',
    'batchSize',
    'transparentBackground',
    'maxImageMegapixels',
  ].some((k) => e.affectsConfiguration(`${SECTION}.${k}`));
}
