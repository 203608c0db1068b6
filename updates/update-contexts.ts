import type { UpdateRequestKind } from '../db/updates-store.js';

/**
 * The decision contexts an update is gated at, as Bodhi forms them (Update._greenwave_decision_contexts):
 * `bodhi_update_push_testing` for a request to testing, `bodhi_update_push_stable` otherwise;
 * before it, one `<base>_<group>_critpath` per critical-path group, or `<base>_critpath` for a
 * critical-path update without groups.
 */
export function updateDecisionContexts(
  request: UpdateRequestKind,
  critpath: boolean,
  critpathGroups: readonly string[],
): string[] {
  const base = request === 'testing' ? 'bodhi_update_push_testing' : 'bodhi_update_push_stable';
  const contexts = [base];
  if (critpathGroups.length > 0)
    for (const group of critpathGroups) contexts.unshift(`${base}_${group}_critpath`);
  else if (critpath) contexts.unshift(`${base}_critpath`);
  return contexts;
}
