// What verifying or distilling a dataset needs besides the dataset, each chosen by the user (a
// dataset never names them for us): the reinforcement config an Apple/RayGen dataset lacks, the
// image folder when the shards carry no images, and the teachers. Registry teachers a manifest of
// ours names are offered for download; a local model folder a dataset names is never opened
// unless the user picks it.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { openDataset, shardsCarryImages, type DatasetOptions, type OpenedDataset } from '../../../engine/reinforce';
import { isModelPath } from '../../../engine/models/paths';
import { localModelDir } from '../../../engine/models/paths';
import { splitDatasetTeachers } from '../../../engine/reinforce/teachers';
import type { ResolvedModel } from '../../../engine/types';
import { firstLineOf } from '../../../engine/util/errors';
import { ensureTeachers } from '../../model/extraModels';
import { settingsBaseDir, type AssetSettings } from '../../settings';
import { teacherSpecs } from './datasetPlan';
import { pickFolder } from './pickers';
import { describeTeacher, pickTeachers } from './teachers';

export interface ReplayInputs {
  options: DatasetOptions;
  teachers?: ResolvedModel[];
  /** Why replay will not run, when it will not. */
  note?: string;
}

const CHECK_STRUCTURE = 'Check Structure Only';

/** Undefined when the user cancels. `forDistill`: a config and images are required, teachers are not. */
export async function chooseReplayInputs(dataset: string, settings: AssetSettings, forDistill: boolean): Promise<ReplayInputs | undefined> {
  const options: DatasetOptions = {};
  let ds: OpenedDataset = await openDataset(dataset); // a clear error when this is not a dataset
  if (!ds.config) {
    const config = await askConfig(dataset, forDistill);
    if (config === undefined) return undefined;
    if (config) {
      options.config = config;
      ds = await openDataset(dataset, options);
    }
  }
  if (ds.kind === 'apple' && (await shardsCarryImages(ds)) === false) {
    const images = await askImageFolder(dataset, forDistill);
    if (images === undefined) return undefined;
    if (images) options.images = images;
  }
  if (forDistill) return { options: { ...options, teacherDims: ds.teacherDims } };
  const teachers = await chooseTeachers(dataset, ds, settings);
  return teachers && { options, ...teachers };
}

/** The config file chosen; false: check the structure only; undefined: cancelled. */
async function askConfig(dataset: string, forDistill: boolean): Promise<string | false | undefined> {
  const pick = await vscode.window.showWarningMessage(
    `${path.basename(dataset)} has no usable reinforcement config, so its augmentations cannot be decompressed.`,
    { modal: true, detail: "Choose RayGen's config.json (its --aug-config) or Apple's training config (with reinforce.image_augmentation)." },
    'Choose Config File…',
    ...(forDistill ? [] : [CHECK_STRUCTURE]),
  );
  if (pick === CHECK_STRUCTURE) return false;
  if (!pick) return undefined;
  const file = await vscode.window.showOpenDialog({ canSelectFiles: true, canSelectFolders: false, openLabel: 'Use This Config', filters: { JSON: ['json', 'jsonl'] } });
  return file?.[0]?.scheme === 'file' ? file[0].fsPath : undefined;
}

/** The image folder chosen; false: check the structure only; undefined: cancelled. */
async function askImageFolder(dataset: string, forDistill: boolean): Promise<string | false | undefined> {
  const pick = await vscode.window.showInformationMessage(
    `The shards of ${path.basename(dataset)} carry no images (DataCompDR is distributed without them).`,
    { modal: true, detail: "Choose the folder that holds them: each sample's image is joined by its url.txt path or as <uid>.jpg/.png." },
    'Choose Image Folder…',
    ...(forDistill ? [] : [CHECK_STRUCTURE]),
  );
  if (pick === CHECK_STRUCTURE) return false;
  if (!pick) return undefined;
  return pickFolder('Image folder of the dataset', 'Use This Folder');
}

/** The teachers to replay with (or why there are none); undefined when cancelled. */
async function chooseTeachers(dataset: string, ds: OpenedDataset, settings: AssetSettings): Promise<Pick<ReplayInputs, 'teachers' | 'note'> | undefined> {
  let specs: string[] | undefined;
  let note: string | undefined;
  if (ds.manifest) {
    const { registry, local } = splitDatasetTeachers(ds.manifest.teachers.map((t) => t.id));
    specs = [...registry];
    // Folders the user chose in settings (model, teachers) count as chosen; others are asked for.
    const chosen = await userChosenModelFolders(settings);
    for (const id of local) {
      const mine = chosen.get(await realFolder(id));
      if (mine) {
        specs.push(mine);
        continue;
      }
      const name = await describeTeacher(id);
      const pick = await vscode.window.showWarningMessage(
        `${path.basename(dataset)} was built with a local teacher model (${name}).`,
        { modal: true, detail: 'A dataset never makes the extension load a model from a path. Choose that model folder to replay with it.' },
        'Choose Model Folder…',
        'Skip Replay',
      );
      if (pick === 'Skip Replay') return { note: 'a teacher is a local model folder that was not chosen' };
      if (!pick) return undefined;
      const folder = await pickFolder(`Teacher model folder for ${name}`, 'Use This Model');
      if (!folder) return undefined;
      specs.push(folder);
    }
  } else {
    specs = await pickTeachers([], settings, false);
    if (!specs) note = 'no teacher models chosen';
  }
  if (!specs) return { note };
  try {
    const teachers = await ensureTeachers(specs, settings);
    return teachers ? { teachers } : { note: 'the teacher models are not downloaded' };
  } catch (err) {
    return { note: `cannot open the teacher models: ${firstLineOf(err)}` };
  }
}

/** The absolute, symlink-resolved folder of a local model spec ("local:DIR", a path). */
async function realFolder(spec: string): Promise<string> {
  const dir = localModelDir(spec, settingsBaseDir());
  return fs.realpath(dir).catch(() => dir);
}

/**
 * Local model folders the user configured (the model and the teacher settings, which an untrusted
 * workspace cannot set), by real path, each with the spec to use.
 */
async function userChosenModelFolders(settings: AssetSettings): Promise<Map<string, string>> {
  const specs = [settings.model, ...teacherSpecs(settings.reinforce.teachers)].filter(isModelPath);
  return new Map(await Promise.all(specs.map(async (spec) => [await realFolder(spec), spec] as const)));
}
