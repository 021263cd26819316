// Which teachers a reinforced dataset uses when the user names none: the two largest MobileCLIP
// variants that are available offline (the CLI and the extension share this rule).

/** Largest first: B (LT) and B are the strongest teachers, S0 the weakest. */
export const TEACHER_PREFERENCE: readonly string[] = ['mobileclip-blt', 'mobileclip-b', 'mobileclip-s2', 'mobileclip-s1', 'mobileclip-s0'];

/** The first `count` of `preference` that are available, in preference order. */
export async function chooseDefaultTeachers(
  isAvailable: (id: string) => Promise<boolean>,
  preference: readonly string[] = TEACHER_PREFERENCE,
  count = 2,
): Promise<string[]> {
  const found: string[] = [];
  for (const id of preference) {
    if (found.length >= count) break;
    if (await isAvailable(id)) found.push(id);
  }
  return found;
}
