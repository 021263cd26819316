// Errors of model resolution and download. Each says what to do next.

export interface MissingFile {
  /** Path inside the hub repo, e.g. "onnx/vision_model.onnx". */
  path: string;
  /** Where to fetch it from. */
  url: string;
  /** Absolute path where it must be placed. */
  dest: string;
  size?: number;
}

function describeMissing(missing: readonly MissingFile[]): string {
  return missing.map((m) => `  ${m.dest}${m.size !== undefined ? `  (${m.size.toLocaleString('en-US')} bytes)` : ''}\n      from ${m.url}`).join('\n');
}

/** A registry model whose files are not (all) in the cache. */
export class ModelNotDownloadedError extends Error {
  constructor(
    readonly modelId: string,
    readonly missing: MissingFile[],
    intro = `Model "${modelId}" is not downloaded yet (${missing.length} file${missing.length === 1 ? '' : 's'} missing or incomplete).`,
  ) {
    super(`${intro}\nDownload it, or fetch each file yourself (e.g. on a machine with internet access) and place it at the path shown:\n${describeMissing(missing)}`);
    this.name = 'ModelNotDownloadedError';
  }
}

/** The hub could not be reached at all (DNS failure, connection refused, no route). */
export class ModelOfflineError extends ModelNotDownloadedError {
  constructor(
    modelId: string,
    missing: MissingFile[],
    readonly host: string,
    cause: unknown,
  ) {
    super(
      modelId,
      missing,
      `Cannot reach ${host} (${(cause as { code?: string }).code ?? (cause as Error).message}): no network, a firewall, or a proxy that is not configured (HTTPS_PROXY / the proxy setting).`,
    );
    this.name = 'ModelOfflineError';
    this.cause = cause;
  }
}

export class ModelDownloadError extends Error {
  constructor(
    message: string,
    readonly url: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'ModelDownloadError';
  }
}

export class ChecksumMismatchError extends ModelDownloadError {
  constructor(
    readonly file: string,
    url: string,
    readonly expected: string,
    readonly actual: string,
    what: 'sha256' | 'size' | 'git blob id',
  ) {
    super(
      `${what} mismatch for ${file} from ${url}: expected ${expected}, got ${actual}. The bad file was deleted; try again, and if it keeps failing the pinned revision or checksum in the model manifest is wrong.`,
      url,
    );
    this.name = 'ChecksumMismatchError';
  }
}

/**
 * A file with no sha256 pinned in its manifest, whose host reported no checksum either: its bytes
 * cannot be told apart from an attacker's, so they are not used.
 */
export class UnverifiableDownloadError extends ModelDownloadError {
  constructor(
    readonly file: string,
    url: string,
  ) {
    super(
      `Refusing ${file} from ${url}: the model manifest pins no sha256 for it and the host reported none ` +
        '(X-Linked-Etag for large files, a git ETag for small ones), so its bytes cannot be verified. The file was deleted. ' +
        'Download from the Hugging Face hub (or a mirror that passes its checksum headers through), or pin the file in the manifest.',
      url,
    );
    this.name = 'UnverifiableDownloadError';
  }
}

/** Message for a final (non-retryable) HTTP status. */
export function httpStatusError(url: string, status: number, revision: string): ModelDownloadError {
  if (status === 404) {
    return new ModelDownloadError(`Not found (HTTP 404): ${url}. The revision "${revision}" or this file may not exist in the repository; check the model manifest.`, url, status);
  }
  if (status === 401 || status === 403) {
    return new ModelDownloadError(
      `Access denied (HTTP ${status}): ${url}. The repository may be gated or private: accept its terms on the hub and download the files by hand, or use a local model folder.`,
      url,
      status,
    );
  }
  return new ModelDownloadError(`Download failed (HTTP ${status}): ${url}`, url, status);
}
