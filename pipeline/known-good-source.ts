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
