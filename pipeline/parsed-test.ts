/** One test result read from what a job left (a JUnit testcase, an STI result line). */
export interface ParsedTest {
  name: string;
  outcome: 'PASSED' | 'FAILED' | 'ERROR' | 'INFO' | 'NEEDS_INSPECTION';
  note?: string;
  duration_s?: number;
  /** On the job's quarantine list (pipeline/quarantine.ts). */
  quarantined?: boolean;
}

/** Notes are for people: long failure texts are cut, so a result stays a result. */
export function shortNote(text: string, max = 2000): string {
  const t = text.trim();
  return t.length > max ? `${t.slice(0, max)}…` : t;
}
