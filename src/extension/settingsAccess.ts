// How a setting is read, apart from `vscode` so the rules are unit-tested. A repository's
// .vscode/settings.json is someone else's input: in an untrusted workspace the settings listed
// here are read from user (and remote) settings only. VS Code already leaves workspace values of
// `restrictedConfigurations` out (package.json lists the same keys; a test keeps the two equal);
// reading them through this function keeps that true whatever the host does.

/** Settings (under `mobileclipAssets.`) that choose what is downloaded or loaded, or bound memory and writes. */
export const RESTRICTED_SETTINGS = [
  'model',
  'modelHost',
  'modelCacheDir',
  'captions.model',
  'reinforce.teachers',
  'executionProvider',
  'maxImageMegapixels',
  'index.maxFileSizeMB',
  'index.location',
  'tags.writeXmpSidecars',
] as const;

const restricted = new Set<string>(RESTRICTED_SETTINGS);

/** The part of vscode.WorkspaceConfiguration this needs. */
export interface ConfigLike {
  get<T>(key: string): T | undefined;
  inspect<T>(key: string): { globalValue?: T } | undefined;
}

/** A setting's value, or `fallback` when unset; restricted ones ignore workspace values unless `trusted`. */
export function settingValue<T>(c: ConfigLike, key: string, fallback: T, trusted: boolean): T {
  if (!trusted && restricted.has(key)) return c.inspect<T>(key)?.globalValue ?? fallback;
  return c.get<T>(key) ?? fallback;
}
