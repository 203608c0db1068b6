import type { NotifySettings } from '../config/config-types.js';
import type { CompiledRule } from './notify-rules.js';

export interface RecipientFacts {
  /** Who made the change, as the run or message names them (a user name or an address). */
  author: string | null;
  /** Names the maintainers map may know this change by, most specific first (`rpms/bash`, `bash`). */
  packages: string[];
}

export interface Recipients {
  to: string[];
  /** Recipients the rule asked for that could not be turned into an address, with why. */
  unresolved: string[];
}

/**
 * A rule's recipients as addresses: its fixed ones, the author (an address as given, else from
 * notify.people, else user@authorDomain), and the maintainers of the first package name the map
 * knows. Each address once, whatever the case of its domain or how often it was named.
 */
export function resolveRecipients(
  wanted: CompiledRule['recipients'],
  facts: RecipientFacts,
  settings: Pick<NotifySettings, 'people' | 'authorDomain' | 'maintainers'>,
): Recipients {
  const to: string[] = [...wanted.addresses];
  const unresolved: string[] = [];
  if (wanted.author) {
    const address = authorAddress(facts.author, settings);
    if (address) to.push(address);
    else if (!facts.author) unresolved.push('author: the message names none');
    else if (facts.author.includes('@')) unresolved.push(`author "${facts.author}": not one plain address`);
    else unresolved.push(`author "${facts.author}": not in notify.people and no notify.authorDomain`);
  }
  if (wanted.maintainers) {
    const key = facts.packages.find((p) => settings.maintainers[p]?.length);
    if (key) to.push(...settings.maintainers[key]!);
    else
      unresolved.push(
        `maintainers: none configured for ${facts.packages.length ? facts.packages.join(' or ') : 'this message (it names no package)'}`,
      );
  }
  const seen = new Set<string>();
  return {
    to: to.filter((a) => {
      const key = bareAddress(a).toLowerCase();
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    }),
    unresolved,
  };
}

function authorAddress(
  author: string | null,
  settings: Pick<NotifySettings, 'people' | 'authorDomain'>,
): string | null {
  if (!author) return null;
  // The author comes from a message: only one plain address is taken as it is, so that a crafted
  // author ("a@x.org, b@y.org") cannot add recipients.
  if (author.includes('@')) return /^[^@\s,;:<>"()[\]\\]+@[A-Za-z0-9.-]+$/.test(author) ? author : null;
  return (
    settings.people[author] ??
    (settings.authorDomain && /^[A-Za-z0-9._+-]+$/.test(author) ? `${author}@${settings.authorDomain}` : null)
  );
}

/** `Jane Doe <jane@example.org>` → `jane@example.org`. */
export function bareAddress(address: string): string {
  const m = /<([^<>]+)>\s*$/.exec(address);
  return (m ? m[1]! : address).trim();
}

/** The package of an NVR (`bash-5.2.26-3.fc41` → `bash`), for subjects that are builds. */
export function nvrName(identifier: string): string | null {
  const m = /^(.+)-[^-]+-[^-]+$/.exec(identifier);
  return m ? m[1]! : null;
}

/** Names a decision's subject may be known by in the maintainers map. */
export function decisionPackages(subjectType: string, identifier: string): string[] {
  const name = /koji|brew|rpm|build/.test(subjectType) ? nvrName(identifier) : null;
  return name && name !== identifier ? [identifier, name] : [identifier];
}

/** Names a run's repository may be known by: `rpms/bash` (namespace/repo or as given), then `bash`. */
export function repoPackages(
  repo: string | null | undefined,
  namespace: string | null | undefined,
): string[] {
  if (!repo) return [];
  const names = [
    namespace && !repo.includes('/') ? `${namespace}/${repo}` : repo,
    repo,
    repo.split('/').pop()!,
  ];
  return [...new Set(names)];
}
