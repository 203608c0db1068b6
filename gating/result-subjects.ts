import type { Subject } from './subject.js';
import type { SubjectTypes } from './subject-types.js';

/**
 * The subjects a stored result is about: every configured type whose result queries match its
 * data (the identifier under the query's item key, and one of the query's `type` values when it
 * names some), as decisions find results; plus a generic type for `item` + an unknown `type`, as
 * Greenwave's create_subject_from_data makes one. A result can concern several subjects (a
 * container image built in Koji is a koji_build and a redhat-container-image).
 */
export function resultSubjects(
  data: Readonly<Record<string, readonly string[] | undefined>>,
  types: SubjectTypes,
): Subject[] {
  const found = new Map<string, Subject>();
  const add = (subject: Subject) => found.set(`${subject.type.id}\u0000${subject.identifier}`, subject);
  const resultTypes = data.type ?? [];
  for (const type of types.all) {
    for (const q of type.resultQueries) {
      const values = data[q.itemKey];
      if (!values?.length) continue;
      if (q.types !== null && !resultTypes.some((t) => q.types!.includes(t))) continue;
      for (const identifier of values) if (identifier) add({ type, identifier });
    }
  }
  for (const t of resultTypes) {
    const type = types.resolve(t);
    if (!type.generic) continue;
    for (const identifier of data.item ?? []) if (identifier) add({ type, identifier });
  }
  return [...found.values()];
}
