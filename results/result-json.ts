/** Result, testcase and group as ResultsDB v2.0 prints them; hrefs are absolute. */

export interface TestcaseJson {
  name: string;
  ref_url: string | null;
  href: string;
}

/** A stored result exactly as the API returns it and as `resultsdb.result.new` carries it. */
export interface StoredResult {
  id: number;
  testcase: TestcaseJson;
  outcome: string;
  note: string | null;
  ref_url: string | null;
  /** Naive UTC with microseconds, as ResultsDB prints it: "2026-01-02T03:04:05.678000". */
  submit_time: string;
  groups: string[];
  data: Record<string, string[]>;
  href: string;
}

export interface GroupJson {
  uuid: string;
  description: string | null;
  ref_url: string | null;
  /** The results of this group, as a query URL. */
  results: string;
  results_count: number;
  href: string;
}

export interface ResultRow {
  id: number;
  outcome: string;
  note: string | null;
  ref_url: string | null;
  submit_time: number;
  testcase_name: string;
  testcase_ref_url: string | null;
}

export interface TestcaseRow {
  name: string;
  ref_url: string | null;
}

export interface GroupRow {
  uuid: string;
  description: string | null;
  ref_url: string | null;
  results_count: number;
}

export const API_PREFIX = '/api/v2.0';

/**
 * ResultsDB stores naive UTC datetimes and prints them with Python's isoformat(): no zone and
 * six fractional digits (resultsdb/serializers/api_v2.py). `ms` is epoch milliseconds, with
 * the microseconds of a time a client gave as a fraction (parseIsoTimeMicros); a time Sluice
 * took itself has milliseconds only. Six digits even when they are all zero, where isoformat()
 * would drop them: clients parse the time with `%f`, and the message schema requires them.
 */
export function formatSubmitTime(ms: number): string {
  const whole = Math.floor(ms);
  const micros = Math.min(999, Math.round((ms - whole) * 1000));
  return `${new Date(whole).toISOString().slice(0, 23)}${String(micros).padStart(3, '0')}`;
}

export function testcaseJson(base: string, row: TestcaseRow): TestcaseJson {
  return {
    name: row.name,
    ref_url: row.ref_url,
    href: `${base}${API_PREFIX}/testcases/${encodeURIComponent(row.name)}`,
  };
}

export function resultJson(
  base: string,
  row: ResultRow,
  data: Array<[string, string]>,
  groups: string[],
): StoredResult {
  const byKey = new Map<string, string[]>();
  for (const [key, value] of data) {
    const values = byKey.get(key);
    if (values) values.push(value);
    else byKey.set(key, [value]);
  }
  return {
    id: row.id,
    testcase: testcaseJson(base, { name: row.testcase_name, ref_url: row.testcase_ref_url }),
    outcome: row.outcome,
    note: row.note,
    ref_url: row.ref_url,
    submit_time: formatSubmitTime(row.submit_time),
    groups,
    // fromEntries defines own properties, so a key such as "__proto__" stays a key.
    data: Object.fromEntries(byKey),
    href: `${base}${API_PREFIX}/results/${row.id}`,
  };
}

export function groupJson(base: string, row: GroupRow): GroupJson {
  const uuid = encodeURIComponent(row.uuid);
  return {
    uuid: row.uuid,
    description: row.description,
    ref_url: row.ref_url,
    results: `${base}${API_PREFIX}/results?groups=${uuid}`,
    results_count: row.results_count,
    href: `${base}${API_PREFIX}/groups/${uuid}`,
  };
}
