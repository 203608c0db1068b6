/**
 * Where a compose's package set comes from: for each package of a release, its newest build
 * whose gating decision passed, with the candidate build in place of its package's entry.
 * Returns NVRs. The gating engine will answer this from its decisions; until it lands, the
 * results store answers it (engine/results-known-good.ts).
 */
export interface KnownGoodSource {
  knownGood(request: { release: string; testcase: string; candidate: string | null }): string[];
}

/** `bash-5.2.26-3.fc41` → `bash`: an NVR's name is everything before its last two dashes. */
export function packageOf(nvr: string): string {
  const parts = nvr.split('-');
  return parts.length >= 3 ? parts.slice(0, -2).join('-') : nvr;
}
