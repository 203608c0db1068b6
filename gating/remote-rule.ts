import type { RemoteRule } from './policy.js';
import type { Subject } from './subject.js';

/** Where a build's sources are: dist-git namespace (`rpms`), repository name and the built revision. */
export interface ScmInfo {
  namespace: string;
  name: string;
  rev: string;
}

/**
 * `unknown`: the build system has the build but no source for it, an import (that URL template
 * is skipped, as Greenwave skips it on NoSourceException); `error`: it cannot say (unreachable,
 * no such build) or says something unusable: a failed fetch, never "no file".
 */
export type ScmLookup = ScmInfo | { unknown: string } | { error: string };

/** What the build system knows about a subject; pluggable (Koji, Sluice's own pipeline, a test double). */
export interface BuildInfoSource {
  scm(subject: Subject): ScmLookup | Promise<ScmLookup>;
  /** When the build was made (epoch ms), for `valid_since` / `valid_until`; null when unknown. */
  creationTime(subject: Subject): number | null | Promise<number | null>;
}

/** Fetches one gating file: its text, null when there is none (HTTP 404); throws on any other failure. */
export interface GatingFileFetcher {
  fetch(url: string): Promise<string | null>;
}

export type GatingFileOutcome =
  | { kind: 'found'; url: string; text: string }
  | { kind: 'absent'; urls: string[] }
  | { kind: 'failed'; urls: string[]; error: string };

/** The placeholders a URL template may use (Greenwave's REMOTE_RULE_POLICIES). */
export const TEMPLATE_FIELDS = ['pkg_namespace', 'pkg_name', 'rev', 'subject_id'] as const;
const SCM_FIELDS = ['{pkg_namespace}', '{pkg_name}', '{rev}'];

/** Placeholders in `template` that are not TEMPLATE_FIELDS (a configuration error). */
export function unknownTemplateFields(template: string): string[] {
  return [...template.matchAll(/\{([^}]*)\}/g)]
    .map((m) => m[1]!)
    .filter((f) => !(TEMPLATE_FIELDS as readonly string[]).includes(f));
}

/** The templates a RemoteRule uses for a subject: its own `sources`, else those configured for the type, else for `*`. */
export function templatesFor(
  rule: RemoteRule,
  subject: Subject,
  configured: Readonly<Record<string, readonly string[]>>,
): string[] {
  return rule.sources ?? [...(configured[subject.type.id] ?? configured['*'] ?? [])];
}

/** Key of one gating-file lookup: the same subject with the same templates is fetched once per decision. */
export function gatingFileKey(subject: Subject, templates: readonly string[]): string {
  return `${subject.type.id}\u0000${subject.identifier}\u0000${templates.join('\u0001')}`;
}

/**
 * Tries the templates in order (Greenwave's _remote_urls): the first URL that has a file wins;
 * a template whose SCM values are unknown is skipped; an unusable SCM answer or a fetch that
 * fails otherwise than "not found" ends the search as a failed fetch.
 */
export async function fetchGatingFile(
  subject: Subject,
  templates: readonly string[],
  build: BuildInfoSource,
  fetcher: GatingFileFetcher,
): Promise<GatingFileOutcome> {
  const urls: string[] = [];
  let scm: ScmLookup | undefined;
  for (const template of templates) {
    const params: Record<string, string> = {};
    if (SCM_FIELDS.some((f) => template.includes(f))) {
      try {
        scm ??= await build.scm(subject);
      } catch (err) {
        // BuildInfoSource implementations answer { error } themselves; this is a bug's safety net, not a pass.
        scm = {
          error: `Could not find where ${subject.type.id} ${subject.identifier} was built from: ${(err as Error).message}`,
        };
      }
      if ('unknown' in scm) continue;
      if ('error' in scm) return { kind: 'failed', urls, error: scm.error };
      // Container repositories are named without the "-container" suffix their builds carry.
      const name = scm.namespace === 'containers' ? scm.name.replace(/-container$/, '') : scm.name;
      Object.assign(params, {
        pkg_namespace: scm.namespace ? `${scm.namespace}/` : '',
        pkg_name: name,
        rev: scm.rev,
      });
    }
    params.subject_id = subject.identifier.startsWith('sha256:')
      ? subject.identifier.slice(7)
      : subject.identifier;
    const url = template.replace(
      /\{(pkg_namespace|pkg_name|rev|subject_id)\}/g,
      (_, f: string) => params[f] ?? '',
    );
    urls.push(url);
    let text: string | null;
    try {
      text = await fetcher.fetch(url);
    } catch (err) {
      return {
        kind: 'failed',
        urls,
        error: `Error occurred while retrieving a remote rule file from the repo: ${(err as Error).message}`,
      };
    }
    if (text !== null) return { kind: 'found', url, text };
  }
  return { kind: 'absent', urls };
}

/**
 * A Koji-style SCM URL (`git+https://src.fedoraproject.org/rpms/bash.git#4f2a9c1`) as namespace,
 * name and revision (Greenwave's retrieve_scm_from_koji_build); `kojiUrl`: the hub it came
 * from, named in errors as Greenwave names it.
 */
export function parseScmUrl(source: string, identifier: string, kojiUrl?: string): ScmLookup {
  const from = kojiUrl === undefined ? `build "${identifier}"` : `Koji build "${identifier}" at "${kojiUrl}"`;
  let url: URL;
  try {
    url = new URL(source);
  } catch {
    return { error: `Failed to parse SCM URL "${source}" from ${from} (not a URL)` };
  }
  const rev = url.hash.replace(/^#/, '');
  if (!rev)
    return {
      error: `Failed to parse SCM URL "${source}" from ${from} (missing URL fragment with SCM revision information)`,
    };
  const parts = url.pathname.split('/');
  const namespace = parts.length >= 3 ? parts[parts.length - 2]! : '';
  const name = parts[parts.length - 1]!.replace(/\.git$/, '');
  return { namespace, name, rev };
}
