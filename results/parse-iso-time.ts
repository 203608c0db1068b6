const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(Z|z|[+-]\d{2}(?::?\d{2})?)?)?$/;

/**
 * An ISO 8601 date or date-time as epoch milliseconds, or undefined when it is not one.
 * Without a zone it is UTC (ResultsDB keeps naive UTC times). Digits past the millisecond are
 * rounded by `round`: a range's start rounds up and its end down, so that neither takes in a
 * millisecond the client excluded.
 */
export function parseIsoTime(text: string, round: 'floor' | 'ceil' = 'floor'): number | undefined {
  return parse(text, round, 1e6);
}

/**
 * As parseIsoTime, to the microsecond: epoch milliseconds with the microseconds as a fraction
 * (`.123456` gives `…123.456`), for ResultsDB's submit_time, which Python keeps to the
 * microsecond. A double holds such a value to well under a microsecond until the 23rd century.
 */
export function parseIsoTimeMicros(text: string, round: 'floor' | 'ceil' = 'floor'): number | undefined {
  return parse(text, round, 1e3);
}

/** `resolution` in nanoseconds: 1e6 rounds to the millisecond, 1e3 to the microsecond. */
function parse(text: string, round: 'floor' | 'ceil', resolution: number): number | undefined {
  const m = ISO.exec(text.trim());
  if (!m) return undefined;
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', zone] = m;
  const year = Number(y),
    month = Number(mo),
    day = Number(d),
    hour = Number(h),
    minute = Number(mi),
    second = Number(s);
  if (
    month < 1 ||
    month > 12 ||
    day < 1 ||
    day > daysIn(year, month) ||
    hour > 23 ||
    minute > 59 ||
    second > 59
  )
    return undefined;
  const digits = frac.padEnd(9, '0');
  const nanos = Number(digits);
  const units = round === 'ceil' ? Math.ceil(nanos / resolution) : Math.floor(nanos / resolution);
  const ms = Math.floor((units * resolution) / 1e6);
  const sub = units * resolution - ms * 1e6;
  let t = Date.UTC(year, month - 1, day, hour, minute, second) + ms;
  // Date.UTC maps years 0-99 to 1900-1999; set the year explicitly.
  if (year < 100) {
    const fixed = new Date(t);
    fixed.setUTCFullYear(year);
    t = fixed.getTime();
  }
  if (zone && zone !== 'Z' && zone !== 'z') {
    const zm = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone)!;
    const offset = (Number(zm[2]) * 60 + Number(zm[3] ?? 0)) * 60_000;
    if (Number(zm[2]) > 23 || Number(zm[3] ?? 0) > 59) return undefined;
    t -= zm[1] === '+' ? offset : -offset;
  }
  return sub === 0 ? t : t + sub / 1e6;
}

function daysIn(year: number, month: number): number {
  return [
    31,
    year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28,
    31,
    30,
    31,
    30,
    31,
    31,
    30,
    31,
    30,
    31,
  ][month - 1]!;
}
