// Child process for the atomic-write test: rewrites a large captions file over and over, each
// version self-consistent (every caption carries the version number), until it is killed.
import { emptyCaptionStore, saveCaptionStore, setGeneratedCaptions } from '../../../src/engine/captions/store';
import { resolveCaptionSettings, runKey, SAMPLER_VERSION, type CaptionRun } from '../../../src/engine/captions/settings';

const root = process.argv[2]!;
const run: CaptionRun = { model: 'loop', modelFingerprint: 'loop', dtype: {}, settings: resolveCaptionSettings(), samplerVersion: SAMPLER_VERSION };
const key = runKey(run);

async function main(): Promise<void> {
  for (let version = 1; ; version++) {
    const store = emptyCaptionStore(root);
    for (let i = 0; i < 4000; i++) {
      const sha = i.toString(16).padStart(64, '0');
      setGeneratedCaptions(
        store,
        `images/${i}.png`,
        sha,
        run,
        key,
        [0, 1, 2, 3, 4].map((c) => `version ${version} caption ${c} of image ${i} ${'x'.repeat(40)}`),
      );
    }
    await saveCaptionStore(store);
    process.stdout.write(`wrote ${version}\n`);
  }
}
void main();
