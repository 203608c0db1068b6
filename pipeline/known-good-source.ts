/** What a compose job asks for: its release's known-good builds under one decision context. */
export interface KnownGoodRequest {
  /** The dist tag: builds whose NVR ends with `.<release>`. */
  release: string;
  decisionContext: string;
  productVersion: string;
  /** The build under test, which takes its package's place whatever its decision; null for a periodic compose. */
  candidate: string | null;
}

/**
 * Where a compose's package set comes from: for each package of a release, its newest build
 * whose gating decision passed, with the candidate build in place of its package's entry.
 * Returns NVRs, sorted.
 */
export interface KnownGoodSource {
  knownGood(request: KnownGoodRequest): string[];
}

/** `bash-5.2.26-3.fc41` → `bash`: an NVR's name is everything before its last two dashes. */
export function packageOf(nvr: string): string {
  const parts = nvr.split('-');
  return parts.length >= 3 ? parts.slice(0, -2).join('-') : nvr;
}
