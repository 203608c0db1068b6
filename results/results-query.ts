/** One data filter: `key=a,b` (any of the values) or `key:like=a*,b*` (any of the patterns). */
export interface DataFilter {
  key: string;
  like: boolean;
  /** Exact values, or `*` patterns when `like`. */
  values: string[];
}

/** What GET /results and /results/latest select, read from their query parameters. */
export interface ResultsQuery {
  testcases: string[];
  testcasesLike: string[];
  outcomes: string[];
  /** Inclusive bounds, epoch milliseconds. */
  since: { start?: number; end?: number };
  groups: string[];
  data: DataFilter[];
  sort: 'asc' | 'desc';
  page: number;
  limit: number;
  /** Data keys that split /results/latest further than by testcase. */
  distinctOn: string[];
}

export interface ListPage {
  page: number;
  limit: number;
}
