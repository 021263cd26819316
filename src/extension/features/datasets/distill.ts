// "Distill Adapter from Reinforced Dataset": fits a linear adapter on the frozen student (the
// configured model) against the stored teacher embeddings, in a CLI child process so the extension
// host stays responsive; the held-out retrieval before and after as a report page.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { localModelDir } from '../../../engine/models/paths';
import { isModelPath } from '../../../engine/models/paths';
import type { DistillReport } from '../../../engine/reinforce';
import { log } from '../../log';
import { modelCacheDir } from '../../model/options';
import { showReport } from '../../reports';
import { readSettings, settingsBaseDir } from '../../settings';
import { cliError, parseJsonOutput, runCli, type CliResult } from './cliProcess';
import type { DatasetFeature } from './datasetFeature';
import { distillCliArgs, distillLogLine, distillReportMarkdown } from './datasetPlan';
import { pickDataset } from './pickers';
import { chooseReplayInputs } from './replayInputs';
import { describeTeacher } from './teachers';

export async function distill(feature: DatasetFeature, target: string | undefined): Promise<void> {
  const dataset = target ?? (await pickDataset('Distill Adapter: choose a reinforced dataset', feature));
  if (!dataset) return;
  const settings = readSettings();
  const inputs = await chooseReplayInputs(dataset, settings, true);
  if (!inputs) return;
  // The student is the configured model; make sure it is downloaded (offers the download).
  if (!(await feature.deps.prompts.requireEngine('Distill Adapter'))) return;
  const student = isModelPath(settings.model) ? localModelDir(settings.model, settingsBaseDir()) : settings.model;
  const go = await vscode.window.showInformationMessage(
    `Fit a distillation adapter for ${await describeTeacher(student)} on ${path.basename(dataset)}?`,
    {
      modal: true,
      detail:
        'A linear adapter on the frozen student is trained with the MobileCLIP loss against the stored teacher embeddings; held-out retrieval before and after is reported. The adapter is saved as adapter.json in the dataset folder.',
    },
    'Start',
  );
  if (!go) return;
  const args = distillCliArgs(dataset, {
    student,
    cacheDir: modelCacheDir(settings),
    background: settings.transparentBackground,
    threads: settings.threads,
    ...inputs.options,
  });
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Distilling on ${path.basename(dataset)}`, cancellable: true },
    (progress, token) => runDistill(feature.deps.cliScript, args, dataset, progress, token),
  );
  if (result.cancelled) return;
  const report = result.code === 0 ? parseJsonOutput<DistillReport>(result.stdout) : undefined;
  if (!report) throw new Error(`distillation failed: ${cliError(result)}`);
  log().info(distillLogLine(report));
  await showReport(`Distill ${path.basename(dataset)}`, distillReportMarkdown(dataset, await describeTeacher(student), report));
}

/** `mobileclip-assets distill` in a child process; its progress lines go to the notification and the log. */
async function runDistill(
  cliScript: string,
  args: readonly string[],
  cwd: string,
  progress: vscode.Progress<{ message?: string }>,
  token: vscode.CancellationToken,
): Promise<CliResult> {
  const abort = new AbortController();
  const sub = token.onCancellationRequested(() => abort.abort());
  try {
    return await runCli(cliScript, args, {
      signal: abort.signal,
      cwd,
      onLine: (line) => {
        log().info(`distill: ${line}`);
        progress.report({ message: line.length > 120 ? `${line.slice(0, 117)}…` : line });
      },
    });
  } finally {
    sub.dispose();
  }
}
