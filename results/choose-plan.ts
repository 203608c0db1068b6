/** Where a results query starts reading: one filter's index, or results in time order. */
export type Driver =
  | { kind: 'data'; index: number }
  | { kind: 'groups' }
  | { kind: 'testcases' }
  | { kind: 'time' };

/**
 * How many results one filter matches, counted up to a cap (`capped` when it reached it).
 * A `time` count is that of the `since` range.
 */
export interface FilterCount {
  driver: Driver;
  count: number;
  capped: boolean;
}

export interface PlanInput {
  counts: FilterCount[];
  /** About how many results are stored. */
  total: number;
}

/**
 * Picks where a page of results starts reading, as a planner with real statistics would.
 * Starting from a filter costs about the rows it matches (each fetched by id, then sorted);
 * reading in time order costs about `wanted` (offset + limit + 1) divided by the fraction of
 * results that match, needs no sort and stops early. Counts are capped so that estimating stays
 * cheap: when every filter reaches the cap, matches are common and time order wins.
 */
export function chooseListDriver({ counts, total }: PlanInput, wanted: number): Driver {
  const best = smallest(counts);
  if (!best || best.capped) return { kind: 'time' };
  // Fetching by id and sorting costs a few times a step of an ordered index scan.
  const fromFilter = 3 * best.count;
  const inTimeOrder = (wanted * Math.max(total, 1)) / Math.max(best.count, 1);
  return fromFilter <= inTimeOrder ? best.driver : { kind: 'time' };
}

export type LatestPlan =
  /** Rank every match by testcase (and the distinct-on values), keep the newest of each. */
  | { strategy: 'rank'; driver: Driver }
  /** Walk each testcase's results newest first and stop at its first match. */
  | { strategy: 'per-testcase' };

/**
 * "Latest per testcase": ranking costs every match, so it needs a selective filter to start
 * from. Without one, and with no data split, a walk per testcase stops at the first match.
 * With a split (`_distinct_on`) every match must be seen; the smallest filter is the best start.
 */
export function chooseLatestPlan({ counts }: PlanInput, distinctOn: readonly string[]): LatestPlan {
  const best = smallest(counts);
  if (best && !best.capped) return { strategy: 'rank', driver: best.driver };
  if (distinctOn.length === 0) return { strategy: 'per-testcase' };
  return { strategy: 'rank', driver: best ? best.driver : { kind: 'time' } };
}

/** The filter matching fewest; between equals (say, all capped) the `since` range, whose size is bounded. */
function smallest(counts: FilterCount[]): FilterCount | undefined {
  if (counts.length === 0) return undefined;
  return counts.reduce((a, b) =>
    b.count < a.count || (b.count === a.count && b.driver.kind === 'time') ? b : a,
  );
}
