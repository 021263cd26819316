// Finding a folder's images with stat only (no reads): include/exclude globs, nested .gitignore
// files (with git's precedence: the deepest file that has an opinion wins) and a size cap.
import ignore, { type Ignore } from 'ignore';
import picomatch from 'picomatch';
import { promises as fs, type Dirent } from 'node:fs';
import * as path from 'node:path';
import { IN_REPOSITORY_DIR } from './location';

export const DEFAULT_IMAGE_EXTENSIONS = ['png', 'jpg', 'jpeg', 'gif', 'webp', 'avif', 'tiff', 'tif', 'svg'] as const;
export const DEFAULT_INCLUDE = [`**/*.{${DEFAULT_IMAGE_EXTENSIONS.join(',')}}`];
export const DEFAULT_EXCLUDE = ['**/node_modules/**', '**/.git/**', `**/${IN_REPOSITORY_DIR}/**`];

export interface ScanOptions {
  /** Globs relative to the folder, matched case-insensitively (default: common image types). */
  include?: readonly string[];
  /** Globs to leave out (default: node_modules, .git, the in-repository index folder). */
  exclude?: readonly string[];
  /** Honour .gitignore files in the folder, its subfolders and its ancestors up to the repository root (default true). */
  respectGitignore?: boolean;
  /** Files larger than this are skipped (reported through onSkip). */
  maxFileSizeBytes?: number;
  /** Walk only this subfolder (relative, '/'-separated); paths stay relative to the root. */
  under?: string;
  signal?: AbortSignal;
  onSkip?: (relativePath: string, reason: string) => void;
}

export interface ScannedFile {
  /** Relative to the scanned folder, '/'-separated. */
  path: string;
  size: number;
  mtimeMs: number;
}

export function toPosix(p: string): string {
  return p.split(path.sep).join('/');
}

interface IgnoreLevel {
  /** Absolute directory the rules are relative to. */
  dir: string;
  rules: Ignore;
}

/**
 * Decides whether a path inside `root` belongs in the index. Usable for a full walk and for the
 * single paths a file watcher reports.
 */
export class PathFilter {
  readonly root: string;
  private readonly include: (p: string) => boolean;
  private readonly exclude: (p: string) => boolean;
  private readonly respectGitignore: boolean;
  readonly maxFileSizeBytes: number;
  private readonly levels = new Map<string, Promise<Ignore | undefined>>();
  private ancestors: Promise<IgnoreLevel[]> | undefined;

  constructor(root: string, options: ScanOptions = {}) {
    this.root = path.resolve(root);
    const opts = { nocase: true, dot: true };
    this.include = picomatch([...(options.include ?? DEFAULT_INCLUDE)], opts);
    const exclude = [...(options.exclude ?? DEFAULT_EXCLUDE)];
    this.exclude = exclude.length ? picomatch(exclude, opts) : () => false;
    this.respectGitignore = options.respectGitignore ?? true;
    this.maxFileSizeBytes = options.maxFileSizeBytes ?? Infinity;
  }

  private loadRules(absDir: string, extra: string[] = []): Promise<Ignore | undefined> {
    let pending = this.levels.get(absDir);
    if (!pending) {
      pending = (async () => {
        const texts: string[] = [];
        for (const file of [path.join(absDir, '.gitignore'), ...extra]) {
          try {
            texts.push(await fs.readFile(file, 'utf8'));
          } catch {
            /* no rules here */
          }
        }
        return texts.length ? ignore().add(texts.join('\n')) : undefined;
      })();
      this.levels.set(absDir, pending);
    }
    return pending;
  }

  private rootRulesPending: Promise<Ignore | undefined> | undefined;
  private rootRules(): Promise<Ignore | undefined> {
    this.rootRulesPending ??= (async () => {
      const isRepoRoot = await exists(path.join(this.root, '.git'));
      return this.loadRules(this.root, isRepoRoot ? [path.join(this.root, '.git', 'info', 'exclude')] : []);
    })();
    return this.rootRulesPending;
  }

  /** .gitignore files above the folder, up to the enclosing repository root (if any). */
  private ancestorLevels(): Promise<IgnoreLevel[]> {
    this.ancestors ??= (async () => {
      const chain: string[] = [];
      let dir = this.root;
      for (;;) {
        chain.push(dir);
        if (await exists(path.join(dir, '.git'))) break;
        const parent = path.dirname(dir);
        if (parent === dir) return []; // not in a repository: only the folder's own files count
        dir = parent;
      }
      const gitRoot = chain[chain.length - 1]!;
      const levels: IgnoreLevel[] = [];
      for (const d of chain.slice(1)) {
        const extra = d === gitRoot ? [path.join(d, '.git', 'info', 'exclude')] : [];
        const rules = await this.loadRules(d, extra);
        if (rules) levels.push({ dir: d, rules });
      }
      // The folder was chosen explicitly: if the enclosing repository ignores the folder itself
      // (say a dotfiles repo ignoring '*'), its rules say nothing useful about what is inside.
      for (const level of levels) {
        const result = level.rules.test(toPosix(path.relative(level.dir, this.root)) + '/');
        if (result.ignored) return [];
        if (result.unignored) break;
      }
      return levels;
    })();
    return this.ancestors;
  }

  private async gitignored(relPath: string, isDir: boolean): Promise<boolean> {
    if (!this.respectGitignore) return false;
    const segments = relPath.split('/');
    const levels: IgnoreLevel[] = [];
    // Deepest first: the folder's own subfolders, the folder, then its ancestors.
    for (let depth = segments.length - 1; depth >= 0; depth--) {
      const dir = path.join(this.root, ...segments.slice(0, depth));
      const rules = await (depth === 0 ? this.rootRules() : this.loadRules(dir));
      if (rules) levels.push({ dir, rules });
    }
    levels.push(...(await this.ancestorLevels()));
    for (const level of levels) {
      const rel = toPosix(path.relative(level.dir, path.join(this.root, relPath))) + (isDir ? '/' : '');
      const result = level.rules.test(rel);
      if (result.ignored) return true;
      if (result.unignored) return false;
    }
    return false;
  }

  /** Should the walk descend into this directory? */
  async acceptsDirectory(relDir: string): Promise<boolean> {
    if (this.exclude(relDir) || this.exclude(relDir + '/')) return false;
    return !(await this.gitignored(relDir, true));
  }

  /** Is this file an image the index should hold (ignoring size)? Checks its directories too. */
  async acceptsFile(relPath: string, checkParents = true): Promise<boolean> {
    if (!this.include(relPath) || this.exclude(relPath)) return false;
    if (checkParents) {
      const segments = relPath.split('/');
      for (let depth = 1; depth < segments.length; depth++) {
        if (!(await this.acceptsDirectory(segments.slice(0, depth).join('/')))) return false;
      }
    }
    return !(await this.gitignored(relPath, false));
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await fs.stat(p);
    return true;
  } catch {
    return false;
  }
}

const STAT_CONCURRENCY = 32;

/**
 * Walk `root` and yield the images to index, in a stable order (sorted per directory). Uses stat
 * only; directory symlinks are not followed (loops), file symlinks are.
 */
export async function* scanFolder(root: string, options: ScanOptions = {}): AsyncGenerator<ScannedFile> {
  const filter = new PathFilter(root, options);
  const start = options.under ?? '';
  if (start) {
    const segments = start.split('/');
    for (let depth = 1; depth <= segments.length; depth++) {
      if (!(await filter.acceptsDirectory(segments.slice(0, depth).join('/')))) return;
    }
  }
  const stack: string[] = [start];
  while (stack.length) {
    options.signal?.throwIfAborted();
    const relDir = stack.pop()!;
    let dirents: Dirent[];
    try {
      dirents = await fs.readdir(path.join(filter.root, relDir), { withFileTypes: true });
    } catch (err) {
      if (relDir === start) throw err;
      options.onSkip?.(relDir, `cannot read folder: ${(err as Error).message}`);
      continue;
    }
    dirents.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const files: string[] = [];
    const dirs: string[] = [];
    for (const d of dirents) {
      const rel = relDir ? `${relDir}/${d.name}` : d.name;
      if (d.isDirectory()) {
        if (await filter.acceptsDirectory(rel)) dirs.push(rel);
      } else if ((d.isFile() || d.isSymbolicLink()) && (await filter.acceptsFile(rel, false))) {
        files.push(rel);
      }
    }
    for (let i = 0; i < files.length; i += STAT_CONCURRENCY) {
      const batch = files.slice(i, i + STAT_CONCURRENCY);
      const stats = await Promise.all(batch.map((rel) => fs.stat(path.join(filter.root, rel)).catch((err: Error) => err)));
      for (let j = 0; j < batch.length; j++) {
        const rel = batch[j]!;
        const st = stats[j]!;
        if (st instanceof Error) {
          options.onSkip?.(rel, `cannot stat: ${st.message}`);
        } else if (!st.isFile()) {
          continue; // a symlink to a directory or something else
        } else if (st.size > filter.maxFileSizeBytes) {
          options.onSkip?.(rel, `larger than ${filter.maxFileSizeBytes} bytes`);
        } else {
          yield { path: rel, size: st.size, mtimeMs: st.mtimeMs };
        }
      }
    }
    // Depth-first, visiting subfolders in name order.
    for (let i = dirs.length - 1; i >= 0; i--) stack.push(dirs[i]!);
  }
}
