export interface HealthState {
  ok: boolean;
  detail: string;
  /** Anything else worth showing (the bus kind, a builder's running jobs, ...). */
  [extra: string]: unknown;
}

export type HealthCheck = () => HealthState | Promise<HealthState>;

export interface HealthCheckOptions {
  /** False = reported, but a failure does not make the process unready (e.g. one builder of many). */
  critical?: boolean;
}

export interface HealthReport {
  ready: boolean;
  checks: Record<string, HealthState & { critical: boolean }>;
}

/** A check that has not answered by then is reported as failed rather than holding /readyz up. */
const CHECK_TIMEOUT_MS = 2000;

/**
 * The dependencies /readyz reports on: the store and the bus from the start, and whatever later
 * parts register (SMTP, builders). Each check says ok or not with a detail a person can act on.
 */
export class HealthChecks {
  private readonly checks = new Map<string, { check: HealthCheck; critical: boolean }>();

  register(name: string, check: HealthCheck, { critical = true }: HealthCheckOptions = {}): void {
    this.checks.set(name, { check, critical });
  }

  names(): string[] {
    return [...this.checks.keys()];
  }

  async run(): Promise<HealthReport> {
    const entries = await Promise.all(
      [...this.checks].map(
        async ([name, { check, critical }]) => [name, { ...(await runOne(check)), critical }] as const,
      ),
    );
    return { ready: entries.every(([, s]) => s.ok || !s.critical), checks: Object.fromEntries(entries) };
  }
}

async function runOne(check: HealthCheck): Promise<HealthState> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      Promise.resolve().then(check),
      new Promise<HealthState>((resolve) => {
        timer = setTimeout(
          () => resolve({ ok: false, detail: `no answer within ${CHECK_TIMEOUT_MS} ms` }),
          CHECK_TIMEOUT_MS,
        );
      }),
    ]);
  } catch (err) {
    return { ok: false, detail: err instanceof Error ? err.message : String(err) };
  } finally {
    clearTimeout(timer);
  }
}
