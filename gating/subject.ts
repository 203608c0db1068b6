import { splitNvr } from './nvr.js';
import type { SubjectTypes, SubjectType } from './subject-types.js';

/** What a decision is about: a subject type and an identifier (an NVR, a compose id, an update alias…). */
export interface Subject {
  type: SubjectType;
  identifier: string;
}

/** The package name of an NVR subject (`bash` of `bash-5.2.26-3.fc41`), else null: only NVRs have packages. */
export function packageName(s: Subject): string | null {
  if (!s.type.isNvr) return null;
  return splitNvr(s.identifier)?.name ?? s.identifier.split('-')[0]!;
}

/** The deprecated `item` of unsatisfied requirements (Greenwave's Subject.to_dict). */
export function subjectDict(s: Subject): Record<string, string> {
  return s.type.itemDictKey === null
    ? { type: s.type.id, item: s.identifier }
    : { [s.type.itemDictKey]: s.identifier };
}

/**
 * A subject from one entry of a decision request's `subject` list (Greenwave's
 * create_subject_from_data): the first type whose item key the entry has (and whose id equals
 * its `type`, when one is given), else `type` + `item`; undefined when neither identifies it.
 */
export function subjectFromData(data: Record<string, unknown>, types: SubjectTypes): Subject | undefined {
  const typeId = typeof data.type === 'string' ? data.type : undefined;
  for (const t of types.all) {
    if (typeId && t.id !== typeId) continue;
    if (!t.itemKey) continue;
    const item = data[t.itemKey];
    if (typeof item === 'string' && item) return { type: t, identifier: item };
  }
  const item = data.item;
  if (typeId && typeof item === 'string' && item) return { type: types.resolve(typeId), identifier: item };
  return undefined;
}
