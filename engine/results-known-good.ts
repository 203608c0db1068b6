import type { ResultsStore } from '../db/results-store.js';
import { packageOf, type KnownGoodSource } from '../pipeline/known-good-source.js';

/**
 * The known-good set from the results store, standing in for gating decisions until the gating
 * engine provides them: a build is good when the newest result of the configured testcase for
 * it (item = NVR, type = koji_build) is PASSED; per package the build with the newest such
 * result is taken (by result time, not by comparing versions), and the candidate replaces its
 * package's entry. A release is the NVR's dist tag suffix (`*.fc41`).
 */
export class ResultsKnownGood implements KnownGoodSource {
  constructor(private readonly results: ResultsStore) {}

  knownGood({ release, testcase, candidate }: { release: string; testcase: string; candidate: string | null }): string[] {
    const newestPerBuild = this.results.latestResults({
      testcases: [testcase],
      testcasesLike: [],
      outcomes: [],
      since: {},
      groups: [],
      data: [
        { key: 'type', like: false, values: ['koji_build'] },
        { key: 'item', like: true, values: [`*.${release}`] },
      ],
      sort: 'desc',
      page: 0,
      limit: 1,
      distinctOn: ['item'],
    });
    const best = new Map<string, { nvr: string; time: string }>();
    for (const r of newestPerBuild) {
      const nvr = r.data.item?.[0];
      if (!nvr || r.outcome !== 'PASSED') continue;
      const pkg = packageOf(nvr);
      const seen = best.get(pkg);
      if (!seen || seen.time < r.submit_time) best.set(pkg, { nvr, time: r.submit_time });
    }
    if (candidate) best.set(packageOf(candidate), { nvr: candidate, time: '' });
    return [...best.values()].map((b) => b.nvr).sort();
  }
}
