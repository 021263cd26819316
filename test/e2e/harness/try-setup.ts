// Used by `npm run try` (scripts/try.mjs): builds the sample workspace unless one is given, and
// chooses the settings, printed as JSON on the last line of stdout (null = remove the setting):
// the default registry model when it is already downloaded (in the user cache or under
// $MOBILECLIP_ASSETS_CACHE); else the semantic fixture model (it understands colour words: "red",
// "blue", ...) with the fixture captioner and reinforcement teachers, as the tests configure them,
// so that Captions and Reinforce work too without a download. `--model` keeps the user's choice.
//   node --import tsx test/e2e/harness/try-setup.ts [--sample-workspace DIR] [--model ID|DIR]
import { captionerModelDir } from '../../fixtures/captioner';
import { colorModelDir } from '../../fixtures/models';
import { teacherDirs } from '../../reinforce/helpers';
import { DEFAULT_MODEL_ID, defaultCacheDir, resolveModel } from '../../../src/engine/models/resolve';
import { ensureSampleWorkspace, type SampleWorkspace } from './sample-workspace';

export interface TrySetup {
  workspace?: SampleWorkspace;
  model: string;
  /** True when the fixture models are configured. */
  fixture: boolean;
  settings: Record<string, unknown>;
}

function option(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function chooseModel(requested: string | undefined): Promise<{ model: string; fixture: boolean }> {
  if (requested) return { model: requested, fixture: false };
  try {
    await resolveModel(DEFAULT_MODEL_ID, { cacheDir: defaultCacheDir() });
    return { model: DEFAULT_MODEL_ID, fixture: false };
  } catch {
    return { model: await colorModelDir(), fixture: true };
  }
}

async function main(): Promise<void> {
  const sampleDir = option('--sample-workspace');
  const workspace = sampleDir ? await ensureSampleWorkspace(sampleDir) : undefined;
  const { model, fixture } = await chooseModel(option('--model'));
  const settings: Record<string, unknown> = {
    'mobileclipAssets.model': model,
    // The fixture folders have fp32 towers only (the default text precision is int8).
    'mobileclipAssets.textPrecision': fixture ? 'fp32' : null,
    'mobileclipAssets.captions.model': fixture ? await captionerModelDir() : null,
    'mobileclipAssets.reinforce.teachers': fixture ? await teacherDirs() : null,
  };
  const out: TrySetup = { workspace, model, fixture, settings };
  process.stdout.write(JSON.stringify(out) + '\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
