import { splitNvr } from './nvr.js';
import type { Subject } from './subject.js';
import { matchingProductVersions } from './subject-types.js';

/**
 * The product versions a subject belongs to when a result or waiver does not say (Greenwave's
 * subject_product_versions, without its Koji lookup): the versions the subject type's
 * product_version_match reads from the identifier (`RHEL-9.4.0-…` → rhel-9), else its fixed one
 * (`redhat-module` → rhel-8), else a guess from an NVR's dist tag (`bash-5.2.26-3.fc41` →
 * fedora-41, `.el9` → rhel-9, `.epel9` → epel-9). Empty when nothing can be guessed.
 */
export function subjectProductVersions(subject: Subject): string[] {
  const matched = matchingProductVersions(subject.identifier, subject.type.productVersionMatch);
  if (matched.length > 0) return matched;
  if (subject.type.productVersion !== null) return [subject.type.productVersion];
  const short = shortProductVersion(subject);
  return short === null ? [] : guessProductVersions(short, subject.type.isKojiBuild);
}

/** The dist tag of an NVR subject (`fc41` of `bash-5.2.26-3.fc41`), else null. */
export function shortProductVersion(subject: Subject): string | null {
  if (!subject.type.isNvr) return null;
  const release = splitNvr(subject.identifier)?.release;
  if (release === undefined) return null;
  const dot = release.lastIndexOf('.');
  return dot < 0 ? null : release.slice(dot + 1);
}

/** Greenwave's _guess_product_versions: a dist tag or Koji target as `fedora-41`, `epel-9`, `rhel-9`, `fedora-rawhide`. */
export function guessProductVersions(tag: string, kojiBuild: boolean): string[] {
  if (tag === 'rawhide' || tag.startsWith('Fedora-Rawhide')) return ['fedora-rawhide'];
  let prefix: string | null = null;
  if (tag.startsWith('f') && kojiBuild) prefix = 'fedora-';
  else if (tag.startsWith('epel')) prefix = 'epel-';
  else if (tag.startsWith('el') && /^\d$/.test(tag[2] ?? '')) prefix = 'rhel-';
  else if (tag.startsWith('rhel-') && /^\d$/.test(tag[5] ?? '')) prefix = 'rhel-';
  else if (tag.startsWith('fc') || tag.startsWith('Fedora')) prefix = 'fedora-';
  if (prefix === null) return [];
  // The number is the second piece once digits are split from the rest ("fc41" → fc, 41; "el9_2" → el, 9, _, 2).
  const pieces = tag.split(/(\d+)/).join('-').split('-').filter(Boolean);
  const number = pieces.length >= 2 && /^\d+$/.test(pieces[1]!) ? Number(pieces[1]) : 0;
  return number ? [`${prefix}${number}`] : [];
}
