// One way to read what was thrown: `catch (err)` gives `unknown`, and not everything thrown is an Error.

/** The message of anything thrown: an Error's message, else its string form. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The first line of errorMessage(err), for a toast or a one-line note. */
export function firstLineOf(err: unknown): string {
  return errorMessage(err).split('\n')[0] ?? '';
}

/** Whether `err` is a cancellation (fetch, AbortController, the worker client, the downloader). */
export function isAbortError(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { name?: unknown }).name === 'AbortError';
}
