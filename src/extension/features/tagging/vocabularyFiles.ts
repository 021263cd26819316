// The vocabulary file of a workspace folder (`.vscode/asset-tags.json`): opened for editing
// (created with the built-in vocabulary spelled out when missing), opened where a problem is,
// and its threshold lowered when a run found nothing to tag.
import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { VOCABULARY_FILE, vocabularyFileTemplate, withVocabularyThreshold } from '../../../engine/tags/vocabulary';
import { writeFileAtomic } from '../../../engine/util/atomic';
import { log } from '../../log';
import { folderName } from '../../workspace';
import type { WorkspaceTags } from './workspaceTags';

/** "Lower Threshold" steps the calibrated-score threshold down by this much, never below MIN_THRESHOLD. */
const THRESHOLD_STEP = 0.2;
/** Below this a tag is barely more likely than "an image": suggestions would be noise. */
export const MIN_THRESHOLD = 0.3;

/** Opens the folder's vocabulary file, creating it first (with the built-in vocabulary) when it has none. */
export async function editVocabulary(tags: WorkspaceTags, root?: string): Promise<void> {
  root ??= await pickRoot(tags, 'Edit Tag Vocabulary');
  if (!root) return;
  const file = path.join(root, VOCABULARY_FILE);
  if (!existsSync(file)) {
    await fs.mkdir(path.dirname(file), { recursive: true });
    await writeFileAtomic(file, vocabularyFileTemplate());
    log().info(`tags: created ${file} with the built-in vocabulary`);
  }
  await vscode.window.showTextDocument(vscode.Uri.file(file), { preview: false });
  vscode.window.setStatusBarMessage('$(tag) Save the vocabulary: images are tagged again with it', 6000);
}

/** Shows where vocabulary `issues` are: the folder's vocabulary file, or the settings. */
export async function openVocabulary(root: string, issues: readonly string[]): Promise<void> {
  const file = path.join(root, VOCABULARY_FILE);
  const inFile = issues.some((i) => i.startsWith(file));
  if (inFile || !issues.length) await vscode.window.showTextDocument(vscode.Uri.file(file));
  else await vscode.commands.executeCommand('workbench.action.openSettings', 'mobileclipAssets.tags');
}

/** Lowers each folder's vocabulary threshold one step (in its vocabulary file); the changes made ("0.5 → 0.3"). */
export async function lowerThresholds(tags: WorkspaceTags, roots: readonly string[]): Promise<string[]> {
  const changes: string[] = [];
  for (const root of roots) {
    const current = (await tags.folder(root).vocabulary()).threshold;
    const lowered = Math.max(MIN_THRESHOLD, Math.round((current - THRESHOLD_STEP) * 100) / 100);
    if (lowered >= current) continue;
    const file = path.join(root, VOCABULARY_FILE);
    const text = existsSync(file) ? await fs.readFile(file, 'utf8') : vocabularyFileTemplate();
    await fs.mkdir(path.dirname(file), { recursive: true });
    await writeFileAtomic(file, withVocabularyThreshold(text, lowered));
    tags.folder(root).invalidateVocabulary();
    changes.push(`${current} → ${lowered}`);
    log().info(`tags: ${folderName(root)}: threshold ${current} -> ${lowered} (${file})`);
  }
  return changes;
}

/** The workspace folder to work on: the only one, or the one the user picks. */
export async function pickRoot(tags: WorkspaceTags, title: string): Promise<string | undefined> {
  const roots = tags.roots();
  if (roots.length <= 1) {
    if (!roots.length) throw new Error('Open a folder first: the tag vocabulary is kept per workspace folder.');
    return roots[0];
  }
  const pick = await vscode.window.showQuickPick(
    roots.map((r) => ({ label: folderName(r), description: r, root: r })),
    { title },
  );
  return pick?.root;
}
