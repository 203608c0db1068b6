import type { UpdateRequestKind } from '../db/updates-store.js';
import { UpdateInputError } from '../errors/update-input-error.js';

/** A checked POST /api/v1/updates body. */
export interface UpdateInput {
  /** The caller's own alias (Bodhi's FEDORA-2025-…), or null to have one made. */
  alias: string | null;
  productVersion: string;
  builds: string[];
  request: UpdateRequestKind;
  critpath: boolean;
  critpathGroups: string[];
}

const FIELDS = new Set(['alias', 'product_version', 'builds', 'request', 'critpath', 'critpath_groups']);
/** name-version-release, none of them empty, no whitespace or slashes (a Koji NVR). */
const NVR = /^[^\s/]+-[^\s/-]+-[^\s/-]+$/;
const ALIAS = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
const GROUP = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * Checks an update as a release tool files it: `product_version`, `builds` (NVRs, at least one,
 * no repeats), `request` (testing or stable), optional `critpath` and `critpath_groups` (a list,
 * or Bodhi's space-separated string; groups imply critpath) and `alias`. Throws UpdateInputError
 * naming the field.
 */
export function parseUpdateInput(body: unknown): UpdateInput {
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw new UpdateInputError('body', 'must be a JSON object');
  const data = body as Record<string, unknown>;
  for (const key of Object.keys(data))
    if (!FIELDS.has(key))
      throw new UpdateInputError(key, `unknown field; expected one of ${[...FIELDS].join(', ')}`);

  const pv = data.product_version;
  if (typeof pv !== 'string' || pv.trim() === '')
    throw new UpdateInputError('product_version', 'required, a non-empty string such as "fedora-41"');

  const builds = data.builds;
  if (!Array.isArray(builds) || builds.length === 0)
    throw new UpdateInputError('builds', 'required, a non-empty list of build NVRs');
  const seen = new Set<string>();
  builds.forEach((b, i) => {
    if (typeof b !== 'string' || !NVR.test(b))
      throw new UpdateInputError(`builds[${i}]`, `${JSON.stringify(b)} is not a name-version-release`);
    if (seen.has(b)) throw new UpdateInputError(`builds[${i}]`, `${b} is listed twice`);
    seen.add(b);
  });

  const request = data.request;
  if (request !== 'testing' && request !== 'stable')
    throw new UpdateInputError('request', `required, "testing" or "stable" (got ${JSON.stringify(request)})`);

  let groups: unknown = data.critpath_groups ?? [];
  if (typeof groups === 'string') groups = groups.split(/\s+/).filter(Boolean);
  if (!Array.isArray(groups))
    throw new UpdateInputError(
      'critpath_groups',
      'must be a list of group names (or one space-separated string)',
    );
  groups.forEach((g, i) => {
    if (typeof g !== 'string' || !GROUP.test(g))
      throw new UpdateInputError(`critpath_groups[${i}]`, `${JSON.stringify(g)} is not a group name`);
  });
  const critpathGroups = [...new Set(groups as string[])];

  const critpath = data.critpath ?? critpathGroups.length > 0;
  if (typeof critpath !== 'boolean') throw new UpdateInputError('critpath', 'must be true or false');
  if (critpath === false && critpathGroups.length > 0)
    throw new UpdateInputError('critpath', 'cannot be false with critpath_groups');

  const alias = data.alias ?? null;
  if (alias !== null && (typeof alias !== 'string' || !ALIAS.test(alias))) {
    throw new UpdateInputError(
      'alias',
      'must be letters, digits, ".", "_" or "-" (at most 100), starting with a letter or digit',
    );
  }

  return { alias, productVersion: pv, builds: builds as string[], request, critpath, critpathGroups };
}
