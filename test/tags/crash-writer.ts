// Child process for crash.test.ts: saves a large tags file over and over, announcing each write.
// Every entry of generation g carries the same sha256, so a torn mix of generations is detectable.
import { TagStore } from '../../src/engine/tags';

const [folder, countArg] = process.argv.slice(2);
const count = Number(countArg);
const shaOf = (g: number) => g.toString(16).padStart(64, '0');

void (async () => {
  const store = await TagStore.load(folder!);
  const first = store.get('img-0.png')?.sha256;
  let g = first ? parseInt(first, 16) + 1 : 1;
  const names = ['icon', 'logo', 'photo'];
  for (; ; g++) {
    for (let i = 0; i < count; i++) {
      store.recordAutoTags(`img-${i}.png`, {
        sha256: shaOf(g),
        signature: `gen-${g}`,
        names,
        scores: [((g + i) % 100) / 100, 0.5, 0.25],
        suggested: new Set(['icon']),
      });
    }
    process.stdout.write(`writing ${g}\n`);
    await store.save();
    process.stdout.write(`saved ${g}\n`);
  }
})();
