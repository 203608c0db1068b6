import type { GatingResult } from '../gating/gating-result.js';
import type { GatingResultsSource } from '../gating/decision-maker.js';
import type { Subject } from '../gating/subject.js';
import type { GatingLatestStore } from './gating-latest-store.js';
import type { ResultsStore } from './results-store.js';

/**
 * Decisions' results from the store: "now" from the latest-result table (GatingLatestStore.forSubject);
 * `when` ranked from the results themselves (GatingLatestStore.asOf), which answers what Greenwave
 * asks ResultsDB for then (/results/latest, `since` up to `when`, `_distinct_on=scenario,system_architecture,system_variant`).
 */
export class StoreGatingResults implements GatingResultsSource {
  constructor(
    private readonly latestTable: GatingLatestStore,
    private readonly store: ResultsStore,
  ) {}

  latest(subject: Subject, when: number | null, testcases: readonly string[] | null): GatingResult[] {
    if (when === null)
      return this.latestTable.forSubject(subject.type.resultQueries, subject.identifier, testcases);
    return this.latestTable.asOf(subject.type.resultQueries, subject.identifier, testcases, when);
  }

  refresh(): void {
    this.latestTable.refresh();
  }

  full(ids: readonly number[]): Array<{ id: number }> {
    return ids.flatMap((id) => this.store.getResult(id) ?? []);
  }
}
