import { DISTINCT_ON, fromStoredResult, type GatingResult } from '../gating/gating-result.js';
import type { GatingResultsSource } from '../gating/decision-maker.js';
import type { Subject } from '../gating/subject.js';
import type { ResultsQuery } from '../results/results-query.js';
import type { GatingLatestStore } from './gating-latest-store.js';
import type { ResultsStore } from './results-store.js';

/**
 * Decisions' results from the store: "now" from the latest-result table (see
 * GatingLatestStore.forSubject); `when` from the results store's /results/latest query with `since`, which is
 * what Greenwave asks ResultsDB (`_distinct_on=scenario,system_architecture,system_variant`).
 */
export class StoreGatingResults implements GatingResultsSource {
  constructor(
    private readonly latestTable: GatingLatestStore,
    private readonly store: ResultsStore,
  ) {}

  latest(subject: Subject, when: number | null, testcases: readonly string[] | null): GatingResult[] {
    if (when === null) return this.latestTable.forSubject(subject.type.resultQueries, subject.identifier, testcases);
    if (testcases?.length === 0) return [];
    return subject.type.resultQueries.flatMap((q) => {
      const data = [{ key: q.itemKey, like: false, values: [subject.identifier] }];
      if (q.types !== null) data.push({ key: 'type', like: false, values: q.types });
      const query: ResultsQuery = {
        testcases: testcases ? [...testcases] : [],
        testcasesLike: [],
        outcomes: [],
        since: { end: when },
        groups: [],
        data,
        sort: 'desc',
        page: 0,
        limit: 1,
        distinctOn: [...DISTINCT_ON],
      };
      return this.store.latestResults(query).map(fromStoredResult);
    });
  }

  full(ids: readonly number[]): Array<{ id: number }> {
    return ids.flatMap((id) => this.store.getResult(id) ?? []);
  }
}
