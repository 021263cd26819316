// The teacher models of a reinforcement run: which ones (the setting, or the largest downloaded
// models), how they are named, and their engines (the extension's own when it runs the same
// weights, else one worker process each).
import * as vscode from 'vscode';
import { Engine } from '../../../engine/engine';
import { describeModel } from '../../../engine/models/names';
import { isModelPath } from '../../../engine/models/paths';
import { chooseDefaultTeachers, TEACHER_PREFERENCE } from '../../../engine/reinforce/teachers';
import type { ResolvedModel } from '../../../engine/types';
import { errorMessage } from '../../../engine/util/errors';
import { log } from '../../log';
import { teacherAvailable } from '../../model/extraModels';
import { engineOptionsFor } from '../../model/options';
import { settingsBaseDir, type AssetSettings } from '../../settings';
import type { DatasetDeps } from './datasetFeature';

export interface TeacherEngines {
  engines: Engine[];
  /** Stops the workers this opened (not the extension's own engine). */
  dispose(): Promise<void>;
}

/** Teacher engines for `models`: the extension's Engine when it runs the same weights, else a new worker each. */
export async function openTeachers(models: readonly ResolvedModel[], deps: DatasetDeps, settings: AssetSettings): Promise<TeacherEngines> {
  const running = deps.models.runningEngine;
  const owned: Engine[] = [];
  const dispose = async () => {
    await Promise.all(owned.map((e) => e.dispose().catch((err) => log().warn(`reinforce: stopping a teacher's worker: ${errorMessage(err)}`))));
  };
  try {
    const engines = await Promise.all(
      models.map(async (m) => {
        if (running && running.model.fingerprint === m.fingerprint) return running;
        const e = await Engine.create(m, engineOptionsFor(settings, deps.workerScript));
        owned.push(e);
        return e;
      }),
    );
    return { engines, dispose };
  } catch (err) {
    await dispose();
    throw err;
  }
}

/** The default teachers (`reinforce.teachers` empty): downloaded models by preference, else the current model. */
export async function defaultTeachers(settings: AssetSettings): Promise<string[]> {
  const found = await chooseDefaultTeachers((id) => teacherAvailable(id, settings));
  return found.length ? found : [settings.model];
}

/** A teacher (or student) by name: the registry model's name, or the name a model folder gives itself; never a cache hash. */
export async function describeTeacher(spec: string): Promise<string> {
  const d = await describeModel(spec, { baseDir: settingsBaseDir() });
  return isModelPath(spec) || d.name === spec ? d.name : `${d.name} (${spec})`;
}

interface TeacherPick extends vscode.QuickPickItem {
  spec: string;
}

/** The teachers, confirmed in a multi-select list (`preselected` checked, the preferred ones offered). Undefined when cancelled. */
export async function pickTeachers(preselected: readonly string[], settings: AssetSettings, fromSetting: boolean): Promise<string[] | undefined> {
  const specs = [...preselected];
  for (const id of TEACHER_PREFERENCE) if (!specs.includes(id)) specs.push(id);
  const items: TeacherPick[] = await Promise.all(
    specs.map(async (spec) => {
      const available = await teacherAvailable(spec, settings);
      return {
        spec,
        label: await describeTeacher(spec),
        description: available ? (isModelPath(spec) ? spec : 'downloaded') : 'will be downloaded',
        picked: preselected.includes(spec),
      };
    }),
  );
  const chosen = await vscode.window.showQuickPick(items, {
    title: 'Teacher models',
    placeHolder: `${fromSetting ? 'From the "reinforce.teachers" setting' : 'Default: the largest downloaded models'}; their embeddings are stored side by side, in this order`,
    canPickMany: true,
    ignoreFocusOut: true,
  });
  if (!chosen) return undefined;
  if (!chosen.length) {
    void vscode.window.showWarningMessage('Choose at least one teacher model.');
    return undefined;
  }
  return chosen.map((c) => c.spec);
}
