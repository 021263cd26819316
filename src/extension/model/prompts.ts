// What the user is asked when a feature needs the model and it is not there: one short sentence
// with the actions that lead to a working model (download, a local folder, another model; or
// retry after a failure), the failure details page, and the model setting changes those actions
// make. The state machine itself is ./service.ts.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Engine } from '../../engine/engine';
import { errorMessage } from '../../engine/util/errors';
import { commandId } from '../commands/ids';
import { log } from '../log';
import { showReport } from '../reports';
import { readSettings } from '../settings';
import { failureDetailsMarkdown, type ModelFailure } from './failure';
import { hostName, modelCacheDir } from './options';
import type { ModelService } from './service';
import { downloadSizeText, RETRY, SELECT_MODEL, SHOW_DETAILS, USE_LOCAL_FOLDER } from './state';

export class ModelPrompts {
  private downloading: Promise<boolean> | undefined;

  constructor(private readonly models: ModelService) {}

  /**
   * For commands: the engine, or one short message with the actions that lead to one. Undefined
   * when the user does not take an action that ends with a loaded model.
   */
  async requireEngine(feature: string): Promise<Engine | undefined> {
    const engine = await this.models.getEngine();
    if (engine) return engine;
    const state = this.models.state;
    if (state.kind === 'missing') {
      const size = downloadSizeText(state.model);
      const pick = await vscode.window.showInformationMessage(
        `${feature} needs the ${state.model.name} model${size ? ` (${size})` : ''}. It runs locally; images never leave this machine.`,
        size ? `Download (${size})` : 'Download',
        USE_LOCAL_FOLDER,
        SELECT_MODEL,
      );
      return this.afterAction(pick);
    }
    if (state.kind === 'failed') return this.afterAction(await this.showFailure(state.failure));
    if (state.kind === 'downloading') {
      await this.downloading;
      return this.models.getEngine();
    }
    return undefined;
  }

  /** Carries out a picked action and waits for the engine it leads to. */
  private async afterAction(pick: string | undefined): Promise<Engine | undefined> {
    if (!pick) return undefined;
    if (pick.startsWith('Download') || (pick === RETRY && this.models.lastFailure()?.retry === 'download')) {
      return (await this.download()) ? this.models.getEngine() : undefined;
    }
    if (pick === RETRY) {
      await this.models.refresh();
      return this.models.getEngine();
    }
    if (pick === USE_LOCAL_FOLDER) return (await this.useLocalFolder()) ? this.models.getEngine() : undefined;
    if (pick === SELECT_MODEL) return (await vscode.commands.executeCommand<boolean>(commandId('selectModel'))) ? this.models.getEngine() : undefined;
    if (pick === SHOW_DETAILS) await this.showDetails();
    return undefined;
  }

  /** The failure as one sentence with [Retry] [Use Local Folder…] [Show Details]; resolves to the pick. */
  showFailure(failure: ModelFailure): Thenable<string | undefined> {
    return vscode.window.showErrorMessage(failure.message, RETRY, USE_LOCAL_FOLDER, SHOW_DETAILS);
  }

  /** Shows a failure and carries out the pick, without making the caller wait for it. */
  notifyFailure(failure: ModelFailure): void {
    void Promise.resolve(this.showFailure(failure))
      .then((pick) => this.afterAction(pick))
      .catch((err) => log().error(errorMessage(err)));
  }

  /** The details page of the current failure (the log has them too). */
  async showDetails(): Promise<void> {
    const state = this.models.state;
    if (state.kind !== 'failed') {
      log().show();
      return;
    }
    const settings = readSettings();
    await showReport(
      `${state.model.name} problem`,
      failureDetailsMarkdown(state.failure, {
        modelName: state.model.name,
        host: hostName(settings),
        spec: state.model.spec,
        cacheDir: modelCacheDir(settings),
      }),
    );
  }

  /** Asks for a model folder and makes it the model (the settings change loads it). */
  async useLocalFolder(): Promise<boolean> {
    const folder = await vscode.window.showOpenDialog({
      canSelectFolders: true,
      canSelectFiles: false,
      canSelectMany: false,
      openLabel: 'Use This Model Folder',
      title: 'A model folder laid out like the Hugging Face ONNX exports (onnx/vision_model.onnx, tokenizer.json, …)',
    });
    if (!folder?.[0]) return false;
    await this.setModel(folder[0].fsPath);
    return true;
  }

  /** Sets mobileclipAssets.model and resolves the new model at once (not only when the change event arrives). */
  async setModel(spec: string): Promise<void> {
    await vscode.workspace.getConfiguration('mobileclipAssets').update('model', spec, vscode.ConfigurationTarget.Global);
    if (readSettings().model !== spec) {
      void vscode.window
        .showWarningMessage(`The model setting did not change: a workspace setting overrides it (mobileclipAssets.model).`, 'Open Settings')
        .then((p) => p && vscode.commands.executeCommand('workbench.action.openSettings', 'mobileclipAssets.model'));
      return;
    }
    await this.models.settle(spec);
  }

  /**
   * Downloads the configured registry model. True when the model is on disk afterwards. A
   * failure shows its sentence with actions (unless `quiet`: the caller shows it).
   */
  download(opts: { quiet?: boolean } = {}): Promise<boolean> {
    this.downloading ??= this.downloadAndSay(opts).finally(() => {
      this.downloading = undefined;
    });
    return this.downloading;
  }

  private async downloadAndSay(opts: { quiet?: boolean }): Promise<boolean> {
    const outcome = await this.models.download();
    const model = this.models.state.model;
    switch (outcome.kind) {
      case 'done':
        return true;
      case 'present':
        if (!opts.quiet) void vscode.window.showInformationMessage(`${model.name} is downloaded already.`);
        return true;
      case 'folder':
        void vscode.window
          .showInformationMessage(`The model is the folder ${path.basename(model.spec)}: there is nothing to download.`, SELECT_MODEL)
          .then((p) => p && vscode.commands.executeCommand(commandId('selectModel')));
        return false;
      case 'cancelled':
        return false;
      case 'failed':
        if (!opts.quiet) this.notifyFailure(outcome.failure);
        return false;
    }
  }
}
