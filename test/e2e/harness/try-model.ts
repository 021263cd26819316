// Used by `npm run try`: prints the model setting to use. The default registry model when it is
// already downloaded in the user cache (or under $MOBILECLIP_ASSETS_CACHE), else the path of the
// semantic fixture model (it understands colour words: "red", "blue", ...).
//   node --import tsx test/e2e/harness/try-model.ts [cacheDir]
import { colorModelDir } from '../../fixtures/models';
import { DEFAULT_MODEL_ID, defaultCacheDir, resolveModel } from '../../../src/engine/models/resolve';

async function main(): Promise<void> {
  const cacheDir = process.argv[2] || defaultCacheDir();
  try {
    await resolveModel(DEFAULT_MODEL_ID, { cacheDir });
    process.stdout.write(JSON.stringify({ model: DEFAULT_MODEL_ID, fixture: false }) + '\n');
  } catch {
    process.stdout.write(JSON.stringify({ model: await colorModelDir(), fixture: true }) + '\n');
  }
}

void main();
