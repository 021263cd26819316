// "Edit Tags" (Explorer, gallery tiles, the active image): every tag of the vocabulary with its
// score and state for the selected images, the recorded ones at once and live scores when the
// model answers; the checked tags become confirmations and removals in the tags files.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Engine } from '../../../engine/engine';
import { TAGS_DATA_FILE } from '../../../engine/tags/store';
import type { TagSuggestion } from '../../../engine/tags/tagger';
import { isItemError } from '../../../engine/types';
import { errorMessage } from '../../../engine/util/errors';
import { log } from '../../log';
import type { ModelService } from '../../model/service';
import { isImageFile } from '../../paths';
import { activeImage, folderName } from '../../workspace';
import type { AutoTagging } from './autoTagging';
import { buildTagRows, planTagChanges, statesOf } from './editPlan';
import type { ImageTagChange } from './folderTags';
import { pickTags } from './tagPicker';
import { groupByRoot } from './targets';
import type { WorkspaceTags } from './workspaceTags';

/** Images not in the index yet that "Edit Tags" embeds on the spot for live scores. */
const MAX_UNINDEXED_EMBEDS = 16;

interface EditedImage {
  root: string;
  rel: string;
  abs: string;
  /** From the index; undefined when the image is not indexed (yet). */
  sha256?: string;
}

type SuggestionLists = { lists: TagSuggestion[][]; live: boolean; problems: string[] };

export class EditTagsCommand {
  constructor(
    private readonly tags: WorkspaceTags,
    private readonly auto: AutoTagging,
    private readonly models: ModelService,
  ) {}

  async run(targets: string[]): Promise<void> {
    const images = await this.imagesOf(targets.length ? targets : [activeImage()].filter((p): p is string => p !== undefined));
    const roots = [...new Set(images.map((i) => i.root))];
    for (const root of roots) {
      try {
        await this.tags.folder(root).loadStore();
      } catch (err) {
        throw new Error(`The tags file of ${folderName(root)} cannot be read (fix or delete ${TAGS_DATA_FILE}): ${errorMessage(err)}`);
      }
    }
    const recorded = await this.suggestionsFor(images, undefined);
    const usedElsewhere = new Map<string, number>();
    for (const root of roots) for (const [t, n] of this.tags.folder(root).loaded?.tagCounts() ?? []) usedElsewhere.set(t, (usedElsewhere.get(t) ?? 0) + n);
    let lists = recorded.lists;
    const live = this.liveSuggestions(images).then((r) => {
      if (!r) return undefined;
      lists = r.lists;
      return { rows: buildTagRows(r.lists, usedElsewhere), note: r.note };
    });
    const title = images.length === 1 ? `Tags of ${path.basename(images[0]!.abs)}` : `Tags of ${images.length} images`;
    const picked = await pickTags(title, buildTagRows(recorded.lists, usedElsewhere), live);
    if (!picked) return;
    const changes = planTagChanges(statesOf(lists), picked.initial, picked.final);
    const byRoot = new Map<string, ImageTagChange[]>();
    images.forEach((img, i) => {
      const c = changes[i]!;
      if (!c.confirm.length && !c.reject.length) return;
      byRoot.set(img.root, [...(byRoot.get(img.root) ?? []), { path: img.rel, sha256: img.sha256, confirm: c.confirm, reject: c.reject }]);
    });
    if (byRoot.size) await this.apply(byRoot, images.length);
  }

  /** The images among `targets` (files in a workspace folder), with what the index knows of them. */
  private async imagesOf(targets: readonly string[]): Promise<EditedImage[]> {
    if (!targets.length) throw new Error('Select one or more images in the Explorer or the gallery to edit their tags.');
    const { groups, outside } = groupByRoot(this.tags.roots(), targets);
    if (outside.length) void vscode.window.showWarningMessage(`Tags are kept per workspace folder; not in one, skipped: ${outside.map((p) => path.basename(p)).join(', ')}`);
    const images: EditedImage[] = [];
    for (const g of groups) {
      const state = this.tags.state(g.root);
      for (const rel of g.paths) {
        const entry = state?.entry(rel);
        const abs = path.join(g.root, ...rel.split('/'));
        if (!entry && !(await isImageOnDisk(abs))) continue; // a folder or another kind of file in the selection
        images.push({ root: g.root, rel, abs, sha256: entry?.sha256 });
      }
    }
    if (!images.length) throw new Error('None of the selected items is an image in a workspace folder.');
    return images;
  }

  private async apply(byRoot: ReadonlyMap<string, ImageTagChange[]>, total: number): Promise<void> {
    const problems: string[] = [];
    let edited = 0;
    for (const [root, list] of byRoot) {
      try {
        const r = await this.tags.folder(root).applyChanges(list);
        edited += list.length - new Set(r.errors.map((e) => e.input)).size;
        for (const e of r.errors) problems.push(`${e.input}: ${e.error}`);
        if (r.vocabularyTouched) this.auto.scheduleRescore(root);
      } catch (err) {
        problems.push(`${folderName(root)}: ${errorMessage(err)}`);
      }
    }
    this.tags.refresh();
    for (const p of problems) log().warn(`tags: ${p}`);
    if (problems.length) {
      void vscode.window
        .showWarningMessage(`Tags updated on ${edited} of ${total} images; ${problems.length} problem${problems.length === 1 ? '' : 's'}: ${problems[0]}`, 'Show Log')
        .then((p) => p && log().show());
    } else {
      vscode.window.setStatusBarMessage(`$(tag) Tags updated on ${edited} ${edited === 1 ? 'image' : 'images'}`, 4000);
    }
  }

  /** Suggestions per image (in `images` order), live when `engine` is given. */
  private async suggestionsFor(images: readonly EditedImage[], engine: Engine | undefined, embeddings = new Map<string, Float32Array>()): Promise<SuggestionLists> {
    const lists: TagSuggestion[][] = new Array<TagSuggestion[]>(images.length);
    const problems: string[] = [];
    let live = true;
    for (const root of new Set(images.map((i) => i.root))) {
      const idx = images.map((img, i) => (img.root === root ? i : -1)).filter((i) => i >= 0);
      const r = await this.tags.folder(root).suggest(
        engine,
        idx.map((i) => images[i]!.rel),
        embeddings,
      );
      idx.forEach((i, k) => (lists[i] = r.lists[k]!));
      live &&= r.live;
      if (r.problem) problems.push(r.problem);
    }
    return { lists, live, problems };
  }

  /** Live scores: the running model (started without prompting if needed); images not indexed yet are embedded now. */
  private async liveSuggestions(images: readonly EditedImage[]): Promise<{ lists: TagSuggestion[][]; note?: string } | undefined> {
    try {
      const engine = this.models.runningEngine ?? (await this.models.getEngine());
      if (!engine) return { lists: (await this.suggestionsFor(images, undefined)).lists, note: 'No model loaded: scores are the recorded ones.' };
      const embeddings = new Map<string, Float32Array>();
      const unindexed = images.filter((i) => !i.sha256).slice(0, MAX_UNINDEXED_EMBEDS);
      if (unindexed.length) {
        const results = await engine.embedImages(unindexed.map((i) => i.abs));
        results.forEach((r, k) => {
          if (!isItemError(r)) embeddings.set(unindexed[k]!.rel, r.embedding);
        });
      }
      const r = await this.suggestionsFor(images, engine, embeddings);
      this.tags.saveCache();
      for (const p of r.problems) log().warn(`tags: no live scores: ${p}`);
      return { lists: r.lists, note: r.problems.length ? `No live scores: ${r.problems[0]}` : undefined };
    } catch (err) {
      log().warn(`tags: no live scores: ${errorMessage(err)}`);
      return undefined;
    }
  }
}

async function isImageOnDisk(abs: string): Promise<boolean> {
  if (!isImageFile(abs)) return false;
  try {
    return (await fs.stat(abs)).isFile();
  } catch {
    return false;
  }
}
