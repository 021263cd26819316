// Which teachers a reinforced dataset uses when the user names none: the two largest MobileCLIP
// variants that are available offline (the CLI and the extension share this rule).
import { isModelPath } from '../models/paths';

/** Largest first: B (LT) and B are the strongest teachers, S0 the weakest. */
export const TEACHER_PREFERENCE: readonly string[] = ['mobileclip-blt', 'mobileclip-b', 'mobileclip-s2', 'mobileclip-s1', 'mobileclip-s0'];

/** The first `count` of `preference` that are available, in preference order. */
export async function chooseDefaultTeachers(isAvailable: (id: string) => Promise<boolean>, preference: readonly string[] = TEACHER_PREFERENCE, count = 2): Promise<string[]> {
  const found: string[] = [];
  for (const id of preference) {
    if (found.length >= count) break;
    if (await isAvailable(id)) found.push(id);
  }
  return found;
}

/**
 * The teachers a dataset file names, split by whether they may be opened without asking: registry
 * ids (resolved only among the models this tool knows) may; local folders may not, because a
 * dataset is someone else's file and must not make us load a model from any path. The user passes
 * or picks those folders instead.
 */
export function splitDatasetTeachers(ids: readonly string[]): { registry: string[]; local: string[] } {
  const registry: string[] = [];
  const local: string[] = [];
  for (const id of ids) (isModelPath(id) ? local : registry).push(id);
  return { registry, local };
}
