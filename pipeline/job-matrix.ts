/** Every combination of a job's matrix values, in the order written: {arch: [a, b]} → [{arch: a}, {arch: b}]. */
export function matrixCombinations(
  matrix: Readonly<Record<string, readonly string[]>>,
): Array<Record<string, string>> {
  let combos: Array<Record<string, string>> = [{}];
  for (const [key, values] of Object.entries(matrix)) {
    combos = combos.flatMap((c) => values.map((v) => ({ ...c, [key]: v })));
  }
  return combos;
}

/** A matrix node's name: the job's name with its values, e.g. `build[arch=x86_64]`. */
export function matrixNodeName(job: string, combo: Readonly<Record<string, string>>): string {
  const entries = Object.entries(combo);
  return entries.length ? `${job}[${entries.map(([k, v]) => `${k}=${v}`).join(',')}]` : job;
}
