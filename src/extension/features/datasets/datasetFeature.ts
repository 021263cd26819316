// Reinforced datasets in VS Code: "Reinforce Dataset" (Explorer folder), "Verify Reinforced
// Dataset" and "Distill Adapter from Reinforced Dataset" (./reinforce.ts, ./verify.ts,
// ./distill.ts; commands: ./commands.ts). Thin: the work is the engine's (src/engine/reinforce);
// inference runs in worker processes (one per teacher, reusing the extension's Engine when it is
// one of the teachers) and adapter fitting runs in a CLI child process, so the extension host only
// moves files and messages. This part keeps the list of datasets in the workspace.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { MANIFEST_FILE } from '../../../engine/reinforce/format';
import { errorMessage } from '../../../engine/util/errors';
import { log } from '../../log';
import type { ModelPrompts } from '../../model/prompts';
import type { ModelService } from '../../model/service';
import { isReinforcedDataset, RAYGEN_MANIFEST } from './datasetPlan';

const DATASETS_CONTEXT = 'mobileclipAssets.reinforcedDatasets';

export interface DatasetDeps {
  models: ModelService;
  prompts: ModelPrompts;
  /** dist/worker.js (teacher engines). */
  workerScript: string;
  /** dist/cli.js (adapter fitting runs as `mobileclip-assets distill` in a child process). */
  cliScript: string;
}

/**
 * Reinforced datasets in the workspace (plus ones built this session), published as a context
 * key so "Verify Reinforced Dataset" shows on exactly those folders in the Explorer.
 */
export class DatasetFeature implements vscode.Disposable {
  private readonly folders = new Set<string>();
  /** Output folders with a run in progress (two runs must never write one folder). */
  readonly activeRuns = new Set<string>();
  private readonly disposables: vscode.Disposable[] = [];

  constructor(readonly deps: DatasetDeps) {
    for (const name of [MANIFEST_FILE, RAYGEN_MANIFEST]) {
      const watcher = vscode.workspace.createFileSystemWatcher(`**/${name}`);
      const onFile = (u: vscode.Uri) => void this.check(path.dirname(u.fsPath));
      this.disposables.push(watcher, watcher.onDidCreate(onFile), watcher.onDidChange(onFile), watcher.onDidDelete(onFile));
    }
  }

  /** The known datasets, sorted. */
  get list(): string[] {
    return [...this.folders].sort();
  }

  /** Looks for datasets in the workspace (folders changed, or start-up). */
  async discover(): Promise<void> {
    try {
      const found = await vscode.workspace.findFiles(`**/{${MANIFEST_FILE},${RAYGEN_MANIFEST}}`, '**/node_modules/**', 2000);
      for (const u of found) if (u.scheme === 'file' && (await isReinforcedDataset(path.dirname(u.fsPath)))) this.folders.add(path.dirname(u.fsPath));
    } catch (err) {
      log().warn(`datasets: cannot look for reinforced datasets: ${errorMessage(err)}`);
    }
    this.publish();
  }

  /** Adds or drops `dir` as its manifest appears, changes or goes. */
  async check(dir: string): Promise<void> {
    if (await isReinforcedDataset(dir)) this.folders.add(dir);
    else this.folders.delete(dir);
    this.publish();
  }

  private publish(): void {
    void vscode.commands.executeCommand('setContext', DATASETS_CONTEXT, this.list);
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
