// Asks the host for thumbnails of rendered tiles that have none yet, once per item, batched.
import type { AssetItem } from '../../src/shared/messages';
import { post } from './vscode';

export class ThumbnailRequester {
  private readonly requested = new Set<string>();
  private queued: string[] = [];
  private scheduled = false;

  /** Call with the items of rendered rows (visible + overscan). */
  wantFor(items: readonly AssetItem[]): void {
    for (const it of items) {
      if (it.thumbnail || it.error || this.requested.has(it.id)) continue;
      this.requested.add(it.id);
      this.queued.push(it.id);
    }
    if (this.queued.length && !this.scheduled) {
      this.scheduled = true;
      // One message per task, however many renders happened in between.
      setTimeout(() => {
        this.scheduled = false;
        const ids = this.queued;
        this.queued = [];
        if (ids.length) post({ type: 'requestThumbnails', ids });
      }, 0);
    }
  }

  /** The answer arrived (or the item changed): a later render may ask again if still missing. */
  settled(id: string): void {
    this.requested.delete(id);
  }

  reset(): void {
    this.requested.clear();
    this.queued = [];
  }
}
