import type { ProductVersionMatch, SubjectTypeSetting } from '../config/config-types.js';

/**
 * What kinds of things decisions are about (Greenwave's subject types) and how each one's
 * results are found: a result belongs to a subject when its data has the subject's identifier
 * under one of the type's item keys (and, where given, one of the listed `type` values).
 */

export interface ResultQuery {
  /** The result data key holding the identifier (`item`, `original_spec_nvr`, `nvr`, …). */
  itemKey: string;
  /** Accepted values of the result's `type` data; null = any. */
  types: string[] | null;
}

export interface SubjectType {
  id: string;
  aliases: string[];
  /** The key naming the identifier in a decision request's `subject` entries; null = `item` only. */
  itemKey: string | null;
  /** The key of the identifier in a requirement's `item`; null = `{"type", "item"}`. */
  itemDictKey: string | null;
  isKojiBuild: boolean;
  /** The identifier is an NVR: `packages` / `excluded_packages` apply to its name. */
  isNvr: boolean;
  supportsRemoteRule: boolean;
  /** No applicable policy answers "nothing required" instead of 404 (Greenwave's ignore_missing_policy). */
  ignoreMissingPolicy: boolean;
  productVersion: string | null;
  /** Product versions read from the identifier; the first that match win over `productVersion`. */
  productVersionMatch: ProductVersionMatch[];
  /** Greenwave's product versions from a build's Koji target. Served for its clients; Sluice asks no Koji, so unused. */
  productVersionFromKojiBuildTarget: ProductVersionMatch[];
  resultQueries: ResultQuery[];
  /** Not configured: made up for an unknown id, as Greenwave's GenericSubjectType. */
  generic: boolean;
}

const base = (id: string): SubjectType => ({
  id,
  aliases: [],
  itemKey: null,
  itemDictKey: null,
  isKojiBuild: false,
  isNvr: false,
  supportsRemoteRule: false,
  ignoreMissingPolicy: false,
  productVersion: null,
  productVersionMatch: [],
  productVersionFromKojiBuildTarget: [],
  resultQueries: [{ itemKey: 'item', types: [id] }],
  generic: false,
});

/** Greenwave's own subject_types/*.yaml, plus the `item`/`type` results Sluice's CI ingestion stores for composes. */
export const BUILTIN_SUBJECT_TYPES: readonly SubjectType[] = [
  { ...base('bodhi_update'), ignoreMissingPolicy: true },
  {
    ...base('compose'),
    itemKey: 'productmd.compose.id',
    itemDictKey: 'productmd.compose.id',
    productVersionMatch: [{ match: '^(RHEL-\\d*)\\..*', productVersion: '\\1' }],
    resultQueries: [
      { itemKey: 'productmd.compose.id', types: null },
      { itemKey: 'item', types: ['compose'] },
    ],
  },
  {
    ...base('koji_build'),
    aliases: ['brew-build'],
    itemKey: 'original_spec_nvr',
    isKojiBuild: true,
    isNvr: true,
    supportsRemoteRule: true,
    productVersionFromKojiBuildTarget: [
      { match: '^(rhel-\\d+\\.\\d+).*', productVersion: '\\1' },
      { match: '^(rhel-\\d+).*', productVersion: '\\1' },
    ],
    resultQueries: [
      { itemKey: 'item', types: ['koji_build', 'brew-build'] },
      { itemKey: 'original_spec_nvr', types: null },
    ],
  },
  {
    ...base('redhat-container-image'),
    itemKey: 'nvr',
    isKojiBuild: true,
    isNvr: true,
    supportsRemoteRule: true,
    productVersion: 'rhel-8',
    resultQueries: [
      { itemKey: 'nvr', types: ['redhat-container-image'] },
      { itemKey: 'item', types: ['koji_build', 'redhat-container-image'] },
    ],
  },
  { ...base('redhat-module'), productVersion: 'rhel-8' },
];

export class SubjectTypes {
  readonly all: readonly SubjectType[];
  private readonly byName = new Map<string, SubjectType>();
  private readonly generic = new Map<string, SubjectType>();

  constructor(settings: readonly SubjectTypeSetting[] = []) {
    const types = new Map(BUILTIN_SUBJECT_TYPES.map((t) => [t.id, { ...t }]));
    for (const s of settings) {
      for (const m of [...(s.productVersionMatch ?? []), ...(s.productVersionFromKojiBuildTarget ?? [])])
        checkPattern(s.id, m.match);
      const current = types.get(s.id) ?? base(s.id);
      types.set(s.id, {
        ...current,
        ...definedFields(s),
        resultQueries: s.resultQueries
          ? s.resultQueries.map((q) => ({ itemKey: q.itemKey, types: q.types ?? null }))
          : current.resultQueries,
      });
    }
    this.all = [...types.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    // Ids win over aliases, as Greenwave matches `id == x or x in aliases` type by type.
    for (const t of this.all) for (const a of t.aliases) if (!this.byName.has(a)) this.byName.set(a, t);
    for (const t of this.all) this.byName.set(t.id, t);
  }

  /** The configured type with this id or alias, or a generic one (Greenwave's GenericSubjectType). */
  resolve(name: string): SubjectType {
    const known = this.byName.get(name);
    if (known) return known;
    let g = this.generic.get(name);
    if (!g) {
      g = { ...base(name), isKojiBuild: true, generic: true };
      if (this.generic.size > 1000) this.generic.clear();
      this.generic.set(name, g);
    }
    return g;
  }

  /** Whether a policy's `subject_type` names this type (its id or an alias). */
  static matches(type: SubjectType, name: string): boolean {
    return type.id === name || type.aliases.includes(name);
  }

  /** Every result data key that identifies some subject: what the latest-result table indexes. */
  itemKeys(): string[] {
    return [...new Set(['item', ...this.all.flatMap((t) => t.resultQueries.map((q) => q.itemKey))])].sort();
  }
}

function checkPattern(id: string, pattern: string): void {
  try {
    new RegExp(pattern);
  } catch (err) {
    throw new Error(
      `gating.subjectTypes ${id}: the product version pattern ${JSON.stringify(pattern)} is not a regular expression: ${(err as Error).message}`,
    );
  }
}

/**
 * The product versions `text` matches (Greenwave's _matching_product_versions): for each entry whose
 * pattern matches at the start, the text with the pattern replaced by the product version (\1… the
 * groups), lower-cased, once each, sorted.
 */
export function matchingProductVersions(text: string, matches: readonly ProductVersionMatch[]): string[] {
  const found = new Set<string>();
  for (const m of matches) {
    if (!compiled(`^(?:${m.match})`, '').test(text)) continue;
    // Python's replacement syntax (\1, \g<1>) in JavaScript's ($1); a literal $ kept literal.
    const replacement = m.productVersion
      .replace(/\$/g, '$$$$')
      .replace(
        /\\g<(\d+)>|\\(\d{1,2})/g,
        (_all, g: string | undefined, n: string | undefined) => `$${g ?? n}`,
      );
    found.add(text.replace(compiled(m.match, 'g'), replacement).toLowerCase());
  }
  return [...found].sort();
}

// Patterns come from the configuration only, so this holds a few entries for the process's life.
const patterns = new Map<string, RegExp>();
function compiled(source: string, flags: string): RegExp {
  let re = patterns.get(flags + source);
  if (!re) patterns.set(flags + source, (re = new RegExp(source, flags)));
  re.lastIndex = 0;
  return re;
}

function definedFields(s: SubjectTypeSetting): Partial<SubjectType> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s)) if (v !== undefined && k !== 'resultQueries') out[k] = v;
  return out as Partial<SubjectType>;
}

/** A subject type as GET /subject_types prints it (Greenwave's SubjectType.to_json). */
export function subjectTypeJson(t: SubjectType): Record<string, unknown> {
  return {
    id: t.id,
    aliases: t.aliases,
    item_key: t.itemKey,
    is_koji_build: t.isKojiBuild,
    is_nvr: t.isNvr,
    supports_remote_rule: t.supportsRemoteRule,
    ignore_missing_policy: t.ignoreMissingPolicy,
    product_version_match: t.productVersionMatch.map(pvJson),
    product_version_from_koji_build_target: t.productVersionFromKojiBuildTarget.map(pvJson),
    product_version: t.productVersion,
    // Greenwave's SafeYAMLDict prints an unset item_dict as {}.
    item_dict: t.itemDictKey === null ? {} : { item_key: t.itemDictKey },
    result_queries: t.resultQueries.map((q) => ({
      item_key: q.itemKey,
      keys: q.types === null ? {} : { type: q.types.join(',') },
    })),
  };
}

const pvJson = (m: ProductVersionMatch) => ({ match: m.match, product_version: m.productVersion });
