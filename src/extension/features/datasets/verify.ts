// "Verify Reinforced Dataset": structure checks always, replay of a sample with the teachers when
// they can be had; the report as a read-only page and the verdict as a toast.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { verifyDataset, type VerifyReport } from '../../../engine/reinforce';
import { log } from '../../log';
import { showReport } from '../../reports';
import { readSettings } from '../../settings';
import type { DatasetFeature } from './datasetFeature';
import { verifyReportMarkdown, verifyToastText } from './datasetPlan';
import { pickDataset } from './pickers';
import { chooseReplayInputs, type ReplayInputs } from './replayInputs';
import { openTeachers } from './teachers';

const SHOW_REPORT = 'Show Report';

export async function verify(feature: DatasetFeature, target: string | undefined): Promise<void> {
  const dataset = target ?? (await pickDataset('Verify Reinforced Dataset', feature));
  if (!dataset) return;
  const settings = readSettings();
  // Replay needs the teachers; when they cannot be had, the structure checks still run.
  const inputs = await chooseReplayInputs(dataset, settings, false);
  if (!inputs) return;
  const started = Date.now();
  const report = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Verifying ${path.basename(dataset)}`, cancellable: true },
    (progress, token) => runVerify(feature, dataset, inputs, progress, token),
  );
  if (!report) return;
  if (!report.replay && inputs.note) report.replaySkipped = inputs.note;
  const markdown = verifyReportMarkdown(dataset, report, (Date.now() - started) / 1000);
  log().info(`verify ${dataset}: ${report.ok ? 'OK' : `FAILED (${report.problems.length} problems)`}`);
  for (const p of report.problems) log().warn(`verify: ${p.where}: ${p.problem}`);
  // A read-only preview (nothing to save), and the verdict as a toast.
  const name = `Verify ${path.basename(dataset)}`;
  await showReport(name, markdown);
  const text = `${path.basename(dataset)}: ${verifyToastText(report)}`;
  const pick = await (report.ok ? vscode.window.showInformationMessage(text, SHOW_REPORT) : vscode.window.showWarningMessage(text, SHOW_REPORT));
  if (pick === SHOW_REPORT) await showReport(name, markdown);
}

/** The engine's verification with the chosen teachers' engines; undefined when cancelled. */
async function runVerify(
  feature: DatasetFeature,
  dataset: string,
  inputs: ReplayInputs,
  progress: vscode.Progress<{ message?: string }>,
  token: vscode.CancellationToken,
): Promise<VerifyReport | undefined> {
  const abort = new AbortController();
  const sub = token.onCancellationRequested(() => abort.abort());
  const teachers = inputs.teachers ? await openTeachers(inputs.teachers, feature.deps, readSettings()) : undefined;
  try {
    const report = await verifyDataset({
      dataset,
      ...inputs.options,
      teachers: teachers?.engines,
      sample: 8,
      signal: abort.signal,
      onProgress: (line) => progress.report({ message: line }),
    });
    return abort.signal.aborted ? undefined : report;
  } finally {
    sub.dispose();
    await teachers?.dispose();
  }
}
