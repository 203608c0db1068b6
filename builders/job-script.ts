import { shellQuote } from '../pipeline/shell-quote.js';

/** The first line a job prints: its process group and working directory. */
export const START_MARKER = '\x1eSLUICE-JOB ';
/** A working directory the wrapper could not make or enter. */
export const SETUP_FAILED = 125;

/**
 * The POSIX shell script a builder runs for a job: a fresh working directory (mktemp), the
 * job's environment, and the command in a session (and so a process group) of its own, whose
 * id it prints first, so that a timeout or a cancel can kill every process the command started
 * (`kill -- -PGID`), not just the channel. `setsid -w` waits and passes the exit status on.
 * Standard error is merged into standard output, so the log keeps their order.
 */
export function jobScript(command: string, env: Readonly<Record<string, string>>, workRoot: string): string {
  const exports = Object.entries(env).map(([k, v]) => `export ${k}=${shellQuote(v)}`);
  return [
    'exec 2>&1',
    'umask 022',
    `wd=$(mktemp -d ${shellQuote(workRoot.replace(/\/+$/, '') || '/')}/sluice-job.XXXXXXXXXX) || exit ${SETUP_FAILED}`,
    `cd "$wd" || exit ${SETUP_FAILED}`,
    'export SLUICE_WORKDIR="$wd" SLUICE_DATA="$wd/.sluice-data"',
    ...exports,
    `exec setsid -w /bin/sh -c 'printf "\\036SLUICE-JOB %s %s\\n" "$$" "$PWD"; exec /bin/sh -c "$1" 2>&1' sluice-job ${shellQuote(command)} </dev/null`,
  ].join('\n');
}

/**
 * TERM to the whole group, KILL after the grace period, then check that no live process of it is
 * left: exit 0 when the group is gone, 1 when something survived. Zombies do not count (a
 * container's init may never reap them). `kill -SIG -PGID`, not `kill -s SIG -- -PGID`: dash
 * (Debian's sh) takes `--` for a process id.
 */
export function killScript(pgid: number, graceMs: number): string {
  const steps = Math.max(1, Math.ceil(graceMs / 100));
  return [
    `pg=${Math.trunc(pgid)}`,
    'alive() {',
    '  if command -v ps >/dev/null 2>&1; then',
    '    ps -e -o pgid= -o stat= | awk -v pg="$pg" \'$1 == pg && $2 !~ /^Z/ { found = 1 } END { exit !found }\'',
    '  else kill -0 -$pg 2>/dev/null; fi',
    '}',
    'kill -TERM -$pg 2>/dev/null || exit 0',
    'i=0',
    'while alive; do',
    `  i=$((i+1)); if [ $i -ge ${steps} ]; then break; fi; sleep 0.1`,
    'done',
    'alive || exit 0',
    'kill -KILL -$pg 2>/dev/null || exit 0',
    'for j in 1 2 3 4 5 6 7 8 9 10; do alive || exit 0; sleep 0.1; done',
    'exit 1',
  ].join('\n');
}

/** Every regular file under the working directory with its size, NUL-separated (`size path`). */
export function listScript(workdir: string): string {
  return `cd ${shellQuote(workdir)} && find . -type f ! -name .sluice-data -printf '%s %P\\0'`;
}

export function cleanupScript(workdir: string): string {
  return `rm -rf -- ${shellQuote(workdir)}`;
}

export function parseFileList(out: string): Array<{ path: string; size: number }> {
  return out
    .split('\0')
    .filter(Boolean)
    .flatMap((entry) => {
      const space = entry.indexOf(' ');
      const size = Number(entry.slice(0, space));
      const p = entry.slice(space + 1);
      return space > 0 && Number.isFinite(size) && p ? [{ path: p, size }] : [];
    });
}

/** `key=value` lines a job wrote to $SLUICE_DATA; later lines win, other lines are ignored. */
export function parseJobData(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z_][A-Za-z0-9_.-]*)=(.*)$/.exec(line.replace(/\r$/, ''));
    if (m && m[1]!.length <= 100) out[m[1]!] = m[2]!.slice(0, 4096);
  }
  return out;
}
