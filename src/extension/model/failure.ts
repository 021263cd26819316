// Model errors as the user meets them: one sentence with the cause (for a toast, a banner or a
// quick pick row) and the full text (file lists, URLs, paths) for the log and the details page.
// No `vscode` import (tested directly).
import * as path from 'node:path';
import { ChecksumMismatchError, LocalModelError, ModelDownloadError, ModelNotDownloadedError, ModelOfflineError } from '../../engine/models/resolve';
import { errorMessage } from '../../engine/util/errors';

export type FailureKind =
  /** The model host cannot be reached at all (DNS, refused, no route). */
  | 'offline'
  /** The host refused (401/403: gated or private) or does not have the files (404). */
  | 'refused'
  /** A file arrived damaged (size or checksum mismatch). */
  | 'corrupt'
  /** Another download problem (5xx after retries, dropped connections). */
  | 'download'
  /** The cache cannot be written (disk full, permissions). */
  | 'disk'
  /** The configured model is neither a registry id nor a usable folder. */
  | 'notAModel'
  /** The files are there but the model does not load (bad ONNX, wrong inputs, provider error). */
  | 'load';

export interface ModelFailure {
  kind: FailureKind;
  /** One sentence with the cause. */
  message: string;
  /** Everything else, for the log and "Show Details". */
  details: string;
  /** What "Retry" repeats. */
  retry: 'download' | 'load';
}

function firstLine(text: string): string {
  return (text.split('\n').find((l) => l.trim()) ?? text).trim();
}

/** Shortens a message for a toast: no absolute paths or URLs (they are in the details). */
function withoutPaths(text: string): string {
  return text
    .replace(/https?:\/\/\S+/g, (url) => {
      try {
        return new URL(url).host;
      } catch {
        return 'the server';
      }
    })
    .replace(/(?:[A-Za-z]:)?(?:[\\/][^\\/\s:;,'"()]+){2,}/g, (p) => path.basename(p))
    .replace(/\s+/g, ' ')
    .trim();
}

function sentence(text: string): string {
  const t = text.trim().replace(/[.:;,]+$/, '');
  return `${t.charAt(0).toUpperCase()}${t.slice(1)}.`;
}

function code(err: unknown): string | undefined {
  const c = (err as { code?: unknown })?.code;
  return typeof c === 'string' ? c : undefined;
}

export interface FailureContext {
  /** Display name of the model ("MobileCLIP-S0", "my-clip"). */
  modelName: string;
  /** Host the files come from, e.g. "huggingface.co". */
  host: string;
}

/** A download failed: offline, refused, damaged, disk, or something else. */
export function describeDownloadFailure(err: unknown, ctx: FailureContext): ModelFailure {
  const full = errorMessage(err);
  const details = full;
  const retry = 'download' as const;
  if (err instanceof ModelOfflineError) {
    return { kind: 'offline', message: `Can't reach ${err.host}: offline or a proxy is needed.`, details, retry };
  }
  if (err instanceof ChecksumMismatchError) {
    return { kind: 'corrupt', message: `A file of ${ctx.modelName} arrived damaged and was deleted: try again.`, details, retry };
  }
  if (err instanceof ModelDownloadError && err.status !== undefined && [401, 403, 404].includes(err.status)) {
    const why = err.status === 404 ? "doesn't have the files (HTTP 404)" : `refused the download (HTTP ${err.status}): the repository may be gated`;
    return { kind: 'refused', message: `${ctx.host} ${why}.`, details, retry };
  }
  const c = code(err);
  if (c === 'ENOSPC') return { kind: 'disk', message: `Not enough disk space to download ${ctx.modelName}.`, details, retry };
  if (c === 'EACCES' || c === 'EPERM' || c === 'EROFS') {
    return { kind: 'disk', message: `Can't write the model cache (${c === 'EROFS' ? 'read-only' : 'permission denied'}): set mobileclipAssets.modelCacheDir.`, details, retry };
  }
  return { kind: 'download', message: sentence(`Downloading ${ctx.modelName} failed: ${withoutPaths(firstLine(full))}`), details, retry };
}

/** Resolving or loading the configured model failed (not a download). */
export function describeLoadFailure(err: unknown, ctx: FailureContext & { spec: string }): ModelFailure {
  const full = errorMessage(err);
  const details = full;
  if (err instanceof LocalModelError) {
    const problem = err.problems[0] ?? 'it is not laid out like the Hugging Face ONNX exports';
    return { kind: 'notAModel', message: sentence(`The model folder ${path.basename(err.dir)} can't be used: ${withoutPaths(problem)}`), details, retry: 'load' };
  }
  if (err instanceof ModelNotDownloadedError) {
    // Reached only when a download said it finished but a file is still missing.
    return {
      kind: 'download',
      message: sentence(`${ctx.modelName} is still incomplete: ${err.missing.length} file${err.missing.length === 1 ? '' : 's'} missing`),
      details,
      retry: 'download',
    };
  }
  if (/^unknown model "/.test(full)) {
    return { kind: 'notAModel', message: `"${ctx.spec}" is neither a known model id nor a model folder.`, details, retry: 'load' };
  }
  return { kind: 'load', message: sentence(`${ctx.modelName} could not be loaded: ${withoutPaths(firstLine(full))}`), details, retry: 'load' };
}

/** Markdown for "Show Details": the sentence, then everything the error said. */
export function failureDetailsMarkdown(failure: ModelFailure, ctx: FailureContext & { spec: string; cacheDir: string }): string {
  const lines = [
    `# ${ctx.modelName}: ${failure.kind === 'load' || failure.kind === 'notAModel' ? 'model not loaded' : 'download failed'}`,
    '',
    failure.message,
    '',
    `- Model setting (\`mobileclipAssets.model\`): \`${ctx.spec}\``,
    `- Model host (\`mobileclipAssets.modelHost\`): \`${ctx.host}\``,
    `- Model cache: \`${ctx.cacheDir}\``,
    '',
    '## What happened',
    '',
    '```text',
    failure.details.replace(/```/g, "'''"),
    '```',
  ];
  if (failure.kind === 'offline' || failure.kind === 'refused') {
    lines.push(
      '',
      '## Without a network',
      '',
      'Fetch each file listed above on a machine with internet access and put it at the path shown, or use **Use Local Folder…** with a folder laid out like the Hugging Face ONNX exports.',
    );
  }
  return `${lines.join('\n')}\n`;
}
