// The message at the end of "Tag Images". No `vscode` import (tested directly).
import type { FolderRunResult } from './folderTags';

export interface FolderOutcome {
  /** Workspace folder name, for per-folder failures. */
  name: string;
  result?: FolderRunResult;
  /** The folder could not be tagged at all (e.g. its tags file is broken). */
  error?: string;
  /** Selected files and folders that cover no indexed image. */
  unmatched: readonly string[];
}

export interface RunSummary {
  message: string;
  severity: 'info' | 'warning' | 'error';
  /** An incremental run: offer to re-tag everything in scope. */
  offerRetagAll: boolean;
  /** There are per-image errors or vocabulary problems in the log. */
  offerLog: boolean;
  /** Images match no tag: offer the vocabulary file and a lower threshold instead of re-tagging. */
  offerVocabulary: boolean;
}

const plural = (n: number, one: string, many: string) => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

export function tagRunSummary(outcomes: readonly FolderOutcome[], mode: 'incremental' | 'all'): RunSummary {
  const done = outcomes.filter((o) => o.result && !o.result.notIndexed).map((o) => o.result!);
  const failed = outcomes.filter((o) => o.error !== undefined);
  const unmatched = outcomes.reduce((n, o) => n + o.unmatched.length, 0);
  const sum = (f: (r: FolderRunResult) => number) => done.reduce((n, r) => n + f(r), 0);
  const tagged = sum((r) => r.tagged);
  const considered = sum((r) => r.considered);
  const errors = sum((r) => r.errors.length);
  const issues = sum((r) => r.issues.length);
  const untagged = sum((r) => r.untagged);
  const renamed = sum((r) => r.renamed.length);
  const cancelled = done.some((r) => r.cancelled);
  const failures = failed.map((o) => ` ${o.name}: ${o.error}`).join('');

  if (done.length === 0) {
    const why =
      unmatched > 0
        ? `None of the selected images is indexed (${plural(unmatched, 'item', 'items')}): they may be excluded by mobileclipAssets.index.exclude or .gitignore, or not be readable images.`
        : 'There are no indexed images to tag yet.';
    return {
      message: failed.length ? `Tagging failed.${failures}` : why,
      severity: failed.length ? 'error' : 'warning',
      offerRetagAll: false,
      offerLog: failed.length > 0,
      offerVocabulary: false,
    };
  }

  const counts = new Map<string, number>();
  for (const r of done) for (const [t, n] of r.tagCounts) counts.set(t, (counts.get(t) ?? 0) + n);
  const top = [...counts]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, 5)
    .map(([t, n]) => `${t} ${n.toLocaleString('en-US')}`);

  let message: string;
  if (cancelled) message = `Tagging cancelled after ${plural(tagged, 'image', 'images')}; their tags are saved.`;
  else if (tagged === 0 && mode === 'incremental') message = `All ${plural(considered, 'image has', 'images have')} tags from the current vocabulary already.`;
  else message = `Tagged ${plural(tagged, 'image', 'images')}${considered > tagged ? ` (${considered - tagged} already up to date)` : ''}.`;
  if (top.length) message += ` Most common: ${top.join(', ')}.`;
  if (untagged > 0) {
    message +=
      untagged === considered
        ? ` None matches a tag of the vocabulary: describe your images in it, or lower the threshold.`
        : ` ${plural(untagged, 'image matches', 'images match')} no tag.`;
  }
  if (renamed > 0) message += ` Tags followed ${plural(renamed, 'renamed file', 'renamed files')}.`;
  if (errors > 0) message += ` ${plural(errors, 'image', 'images')} could not be tagged.`;
  if (unmatched > 0) message += ` ${plural(unmatched, 'selected item is', 'selected items are')} not indexed.`;
  if (issues > 0) message += ` The vocabulary has ${plural(issues, 'problem', 'problems')}.`;
  message += failures;
  // When at least half the images match nothing, the vocabulary (or its threshold) is the thing to change.
  const offerVocabulary = untagged > 0 && untagged * 2 >= considered && !cancelled;
  return {
    message,
    severity: failed.length || errors || unmatched || issues || untagged === considered ? 'warning' : 'info',
    // Re-tagging with the same vocabulary changes nothing for images that match no tag.
    offerRetagAll: mode === 'incremental' && !cancelled && !offerVocabulary,
    offerLog: errors > 0 || issues > 0 || failed.length > 0,
    offerVocabulary,
  };
}
