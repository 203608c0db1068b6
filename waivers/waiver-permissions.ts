import type { WaiverPermissionRule, WaiverSettings } from '../config/config-types.js';
import { WaiverForbiddenError } from '../errors/waiver-forbidden-error.js';
import { fnmatchRegExp } from '../results/fnmatch.js';

/** One permission rule of the configuration (waivers.permissions). */
export type PermissionRule = WaiverPermissionRule;

/** A rule as WaiverDB's GET /permissions prints it. */
export interface PermissionJson {
  name?: string;
  maintainers: string[];
  testcases: string[];
  testcases_ignore: string[];
  users: string[];
  groups: string[];
}

export interface WaiverCaller {
  user: string;
  groups: string[];
}

/** Who a stored waiver is from. */
export interface WaiverAuthor {
  username: string;
  proxiedBy: string | null;
}

export const forbiddenMessage = (user: string, testcase: string) =>
  `User ${user} is not authorized to submit waivers for the test case ${testcase}`;

interface CompiledRule {
  rule: PermissionRule;
  testcases: RegExp[];
  ignore: RegExp[];
}

/**
 * WaiverDB's permission model: a user may waive a test case when some rule about that test case
 * (a `testcases` pattern matches it and no `testcasesIgnore` pattern does) lists the user or one
 * of the user's groups. No rules at all: anyone who may write waivers may waive anything. Rules,
 * but none about the test case: nobody may. Superusers may submit a waiver on another user's
 * behalf; the permission is then that user's, and the superuser is recorded as proxied_by.
 */
export class WaiverPermissions {
  private readonly rules: CompiledRule[];
  private readonly superusers: Set<string>;

  constructor(settings: WaiverSettings) {
    this.rules = settings.permissions.map((rule) => ({
      rule,
      testcases: rule.testcases.map(fnmatchRegExp),
      ignore: rule.testcasesIgnore.map(fnmatchRegExp),
    }));
    this.superusers = new Set(settings.superusers);
  }

  /** The rules about `testcase` (all of them without one), in configuration order. */
  rulesFor(testcase?: string): PermissionRule[] {
    if (testcase === undefined) return this.rules.map((r) => r.rule);
    return this.rules
      .filter((r) => !r.ignore.some((p) => p.test(testcase)) && r.testcases.some((p) => p.test(testcase)))
      .map((r) => r.rule);
  }

  mayWaive(user: string, groups: readonly string[], testcase: string): boolean {
    if (this.rules.length === 0) return true;
    return this.rulesFor(testcase).some(
      (r) => r.users.includes(user) || r.groups.some((g) => groups.includes(g)),
    );
  }

  /**
   * Whom the waiver is from, or WaiverForbiddenError. `onBehalfOf` is the body's `username`;
   * `groupsOf` says which groups a user named that way is in.
   */
  authorize(
    caller: WaiverCaller,
    onBehalfOf: string | undefined,
    testcase: string,
    groupsOf: (user: string) => string[],
  ): WaiverAuthor {
    let author: WaiverAuthor = { username: caller.user, proxiedBy: null };
    let groups = caller.groups;
    if (onBehalfOf !== undefined) {
      if (!this.superusers.has(caller.user))
        throw new WaiverForbiddenError(`user ${caller.user} does not have the proxyuser ability`);
      author = { username: onBehalfOf, proxiedBy: caller.user };
      groups = groupsOf(onBehalfOf);
    }
    if (!this.mayWaive(author.username, groups, testcase))
      throw new WaiverForbiddenError(forbiddenMessage(author.username, testcase));
    return author;
  }
}

export function permissionJson(rule: PermissionRule): PermissionJson {
  return {
    ...(rule.name === undefined ? {} : { name: rule.name }),
    maintainers: rule.maintainers,
    testcases: rule.testcases,
    testcases_ignore: rule.testcasesIgnore,
    users: rule.users,
    groups: rule.groups,
  };
}
