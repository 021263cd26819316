// Keyed debouncing for work that follows bursts of events (file changes, settings, edits): the
// last request per key runs once things are quiet for its delay. No `vscode` import.
import { errorMessage } from '../engine/util/errors';

export class Debouncer {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  /** `onError`: where a failure of the debounced work goes (it has no caller left to reject to). */
  constructor(private readonly onError: (message: string) => void) {}

  /** Runs `work` after `ms` without another request for `key`. */
  run(key: string, ms: number, work: () => unknown): void {
    const pending = this.timers.get(key);
    if (pending) clearTimeout(pending);
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        void Promise.resolve()
          .then(work)
          .catch((err) => this.onError(errorMessage(err)));
      }, ms),
    );
  }

  dispose(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}
