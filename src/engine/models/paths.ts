// Where the registry and the downloaded weights live.
import { existsSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { resolveInside } from '../util/atomic';

const PACKAGE_NAME = 'mobileclip-assets';

/**
 * The repo's `models/` folder. Walks up from this module to the package.json named
 * "mobileclip-assets", so it works from src/ (tsx), from a dist/ bundle and from an
 * installed extension alike.
 */
export function defaultModelsDir(): string {
  let dir = __dirname;
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: unknown }).name === PACKAGE_NAME) return path.join(dir, 'models');
      } catch {
        /* not our package.json: keep walking */
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`cannot find the ${PACKAGE_NAME} package root above ${__dirname}`);
    dir = parent;
  }
}

/** `$MOBILECLIP_ASSETS_CACHE`, else the platform's per-user cache folder + "mobileclip-assets". */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform, home = os.homedir()): string {
  if (env.MOBILECLIP_ASSETS_CACHE) return path.resolve(expandHome(env.MOBILECLIP_ASSETS_CACHE, home));
  if (platform === 'win32') return path.join(env.LOCALAPPDATA || path.join(home, 'AppData', 'Local'), PACKAGE_NAME);
  if (platform === 'darwin') return path.join(home, 'Library', 'Caches', PACKAGE_NAME);
  const xdg = env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : path.join(home, '.cache');
  return path.join(xdg, PACKAGE_NAME);
}

export function expandHome(p: string, home = os.homedir()): string {
  if (p === '~') return home;
  if (p.startsWith('~/') || p.startsWith('~\\')) return path.join(home, p.slice(2));
  return p;
}

/** True when a model setting names a folder (see localModelDir) rather than a registry id. */
export function isModelPath(spec: string): boolean {
  return spec.startsWith('local:') || path.isAbsolute(spec) || spec === '.' || spec === '..' || spec === '~' || /[\\/]/.test(spec);
}

/**
 * The folder a model setting names (`local:<path>`, `~/…`, an absolute path, or one relative to
 * `baseDir`, the first workspace folder in the extension and the working directory in the CLI).
 */
export function localModelDir(spec: string, baseDir: string = process.cwd()): string {
  const trimmed = spec.trim();
  const raw = trimmed.startsWith('local:') ? trimmed.slice('local:'.length) : trimmed;
  return path.resolve(baseDir, expandHome(raw));
}

/** `cacheDir/<owner>--<name>/<revision>`: one folder per exact repo revision. */
export function hubRevisionDir(cacheDir: string, repo: string, revision: string): string {
  return resolveInside(cacheDir, path.join(repo.replace(/\//g, '--'), revision));
}

/** Absolute cache path of a repo file; refuses paths that would escape the revision folder. */
export function hubFileDest(cacheDir: string, repo: string, revision: string, filePath: string): string {
  return resolveInside(hubRevisionDir(cacheDir, repo, revision), filePath);
}

export function hubFileUrl(host: string, repo: string, revision: string, filePath: string): string {
  const encodedPath = filePath.split('/').map(encodeURIComponent).join('/');
  return `${host.replace(/\/+$/, '')}/${repo}/resolve/${encodeURIComponent(revision)}/${encodedPath}`;
}

export const DEFAULT_HUB_HOST = 'https://huggingface.co';
