import { KojiUnreachableError, type KojiBuild, type KojiClient } from './koji-client.js';
import { parseScmUrl, type BuildInfoSource, type ScmLookup } from './remote-rule.js';
import type { Subject } from './subject.js';
import { XmlRpcFault } from './xml-rpc.js';

/**
 * Where a build came from and when it was made, asked of Koji as Greenwave asks it
 * (resources.py: _retrieve_koji_build_attributes, retrieve_scm_from_koji): `getBuild(nvr)`, its
 * `source`, else `extra.source.original_url`.
 *
 * - a build with a source: its namespace, name and revision;
 * - a build without one (an import): `unknown`, so templates needing them are skipped, as
 *   Greenwave skips them (NoSourceException);
 * - no such build: a failed fetch, with Greenwave's "Koji build not found for …";
 * - a fault, or no usable answer: a failed fetch naming it. Greenwave answers these with a 502
 *   for the whole decision; here the decision says what failed and is not satisfied, which a
 *   gate reads the same way (never a pass) and a person can read.
 *
 * Creation times come from `creation_ts` (epoch seconds); when Koji cannot say, `fallback`'s.
 */
export class KojiBuildInfo implements BuildInfoSource {
  constructor(
    private readonly koji: KojiClient,
    private readonly fallback: BuildInfoSource,
  ) {}

  async scm(subject: Subject): Promise<ScmLookup> {
    const nvr = subject.identifier;
    const url = this.koji.options.url;
    // Greenwave refuses these before asking Koji (a BadRequest, reported as a failed fetch).
    if (!nvr.includes('-'))
      return { error: `Failed to get remote policies: 400 Bad Request: Invalid NVR format: ${pyRepr(nvr)}` };
    const build = await this.build(nvr);
    if ('error' in build) return build;
    if (build.found === null)
      return {
        error: `Koji build not found for subject_type ${pyRepr(subject.type.id)}, subject_identifier ${pyRepr(nvr)}`,
      };
    const source = sourceOf(build.found);
    if (source === null)
      return {
        unknown: `Failed to retrieve SCM URL from Koji build "${nvr}" at "${url}" (expected SCM URL in "source" attribute)`,
      };
    return parseScmUrl(source, nvr, url);
  }

  async creationTime(subject: Subject): Promise<number | null> {
    const build = subject.identifier.includes('-') ? await this.build(subject.identifier) : { found: null };
    if (!('error' in build) && build.found !== null) {
      const { creation_ts: ts, creation_time: text } = build.found;
      if (typeof ts === 'number' && Number.isFinite(ts)) return Math.round(ts * 1000);
      // Koji prints it as "2024-05-01 10:00:00.123456+00:00"; without a zone it is UTC (as Greenwave reads it).
      if (typeof text === 'string') {
        const iso = text.trim().replace(' ', 'T');
        const t = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(iso) ? iso : `${iso}Z`);
        if (Number.isFinite(t)) return t;
      }
    }
    return this.fallback.creationTime(subject);
  }

  private async build(nvr: string): Promise<{ found: KojiBuild | null } | { error: string }> {
    try {
      return { found: await this.koji.getBuild(nvr) };
    } catch (err) {
      if (err instanceof XmlRpcFault)
        return {
          error: `Failed to get Koji build for "${nvr}": ${err.faultString} (code: ${err.faultCode})`,
        };
      if (err instanceof KojiUnreachableError) return { error: err.message };
      return { error: `Could not reach Koji: ${(err as Error).message}` };
    }
  }
}

function sourceOf(build: KojiBuild): string | null {
  if (typeof build.source === 'string' && build.source !== '') return build.source;
  const extra = build.extra;
  if (extra && typeof extra === 'object' && !Array.isArray(extra) && !Buffer.isBuffer(extra)) {
    const src = extra.source;
    if (src && typeof src === 'object' && !Array.isArray(src) && !Buffer.isBuffer(src)) {
      const original = src.original_url;
      if (typeof original === 'string' && original !== '') return original;
    }
  }
  return null;
}

/** A string as Python's repr prints it, for messages worded as Greenwave's (which formats with !r). */
function pyRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  return quote + s.replace(/\\/g, '\\\\').replace(new RegExp(quote, 'g'), `\\${quote}`) + quote;
}
