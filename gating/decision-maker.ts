import type { GatingSettings } from '../config/config-types.js';
import type { DecisionCache } from './decision-cache.js';
import { decide, type DecisionResponse, type SubjectFacts } from './decide.js';
import { parseDecisionRequest, type DecisionRequest } from './decision-request.js';
import { fnmatch } from '../results/fnmatch.js';
import { latestPerKey, type GatingResult } from './gating-result.js';
import type { Policy } from './policy.js';
import { applicablePolicies } from './policy-match.js';
import {
  fetchGatingFile,
  gatingFileKey,
  templatesFor,
  type BuildInfoSource,
  type GatingFileFetcher,
  type GatingFileOutcome,
} from './remote-rule.js';
import { packageName, type Subject } from './subject.js';
import type { SubjectTypes } from './subject-types.js';
import type { WaiverJson, WaiverSource } from './waivers.js';

/** Where decisions read results from. */
export interface GatingResultsSource {
  /**
   * The subject's latest results per key, of these testcases (null = all); as of `when` (epoch
   * ms, inclusive) when given.
   */
  latest(subject: Subject, when: number | null, testcases: readonly string[] | null): GatingResult[];
  /** Results by id as the results API prints them, for `verbose`. */
  full(ids: readonly number[]): Array<{ id: number }>;
  /** Catches up with writes from elsewhere (another process); the decision cache hears of them through its owner. */
  refresh?(): void;
}

export interface DecisionMakerParts {
  policies: readonly Policy[];
  subjectTypes: SubjectTypes;
  settings: GatingSettings;
  results: GatingResultsSource;
  waivers: WaiverSource;
  build: BuildInfoSource;
  fetcher: GatingFileFetcher;
  /** Answers kept as sent; whoever stores results and waivers must invalidate it (see DecisionCache). */
  cache?: DecisionCache;
  now?: () => number;
}

const MAX_CACHED_MATCHES = 5000;

/** A decision request with everything fetched that it needs besides results and waivers (see DecisionMaker.prepare). */
export interface PreparedDecision {
  request: DecisionRequest;
  subjects: Array<{ subject: Subject; policies: Policy[]; creationTime: number | null }>;
  gatingFiles: ReadonlyMap<string, GatingFileOutcome>;
  /** Some rule has valid_since / valid_until: the answer may depend on the clock. */
  timeDependent: boolean;
}

/**
 * Answers POST /decision: checks the request, gathers what the decision needs (results,
 * waivers, gating files, build times) through the given interfaces, and leaves the deciding to
 * the pure `decide`. Gating files are fetched only for RemoteRules that apply; waivers are read
 * only when some requirement is unsatisfied or the caller asked for them.
 */
export class DecisionMaker {
  /** Applicable policies by (contexts, product version, subject type): the same few combinations recur. */
  private readonly matches = new Map<string, Policy[]>();
  private readonly now: () => number;

  constructor(private readonly parts: DecisionMakerParts) {
    this.now = parts.now ?? Date.now;
  }

  get policies(): readonly Policy[] {
    return this.parts.policies;
  }

  /** POST /decision: synchronous unless a gating file or a build time has to be fetched. */
  decide(body: unknown): DecisionResponse | Promise<DecisionResponse> {
    const prepared = this.prepare(parseDecisionRequest(body, this.parts.subjectTypes));
    return isPromise(prepared) ? prepared.then((p) => this.decidePrepared(p)) : this.decidePrepared(prepared);
  }

  /**
   * POST /decision's answer as JSON text, from the cache when an answer to the same question is
   * there and nothing it was made from has changed since. Asked "now" (no `when`), not verbose,
   * with no ignore lists or on-demand rules: other questions are answered afresh every time.
   */
  decideJson(body: unknown): string | Promise<string> {
    return this.decideRequestJson(this.parseRequest(body));
  }

  /** A POST /decision body checked (DecisionInputError with Greenwave's message when it is not valid). */
  parseRequest(body: unknown): DecisionRequest {
    return parseDecisionRequest(body, this.parts.subjectTypes);
  }

  /** decideJson for a request already parsed. */
  decideRequestJson(request: DecisionRequest): string | Promise<string> {
    const cache = this.parts.cache;
    const key = cache ? cacheKey(request) : null;
    if (key !== null) {
      this.parts.results.refresh?.();
      const hit = cache!.get(key);
      if (hit !== undefined) return hit;
    }
    const finish = (p: PreparedDecision): string => {
      const json = JSON.stringify(this.decidePrepared(p));
      if (key !== null) {
        const ttl = this.ttl(p);
        if (ttl > 0)
          cache!.set(
            key,
            request.subjects.map((s) => s.identifier),
            json,
            ttl,
          );
      }
      return json;
    };
    const prepared = this.prepare(request);
    return isPromise(prepared) ? prepared.then(finish) : finish(prepared);
  }

  /**
   * How long an answer may be kept: until invalidated, unless it rests on the clock (not kept)
   * or on gating files (kept as long as the fetched files are; never after a failed fetch).
   */
  private ttl(p: PreparedDecision): number {
    if (p.timeDependent) return 0;
    if (p.gatingFiles.size === 0) return Infinity;
    if ([...p.gatingFiles.values()].some((f) => f.kind === 'failed')) return 0;
    return this.parts.settings.remoteRule.cacheTtlMs;
  }

  /**
   * What a decision needs that may have to be fetched: the applicable policies, gating files
   * (only for RemoteRules that apply) and build times (only when some rule has valid_since /
   * valid_until). Results and waivers are not read here: `decidePrepared` reads them, so a caller
   * can fetch first and then decide inside a store transaction, on the data it commits against.
   * A promise only when something had to be fetched.
   */
  prepare(request: DecisionRequest): PreparedDecision | Promise<PreparedDecision> {
    const subjects = request.subjects.map((subject) => ({
      subject,
      policies: this.applicable(request, subject),
      creationTime: null as number | null,
    }));
    const gatingFiles = new Map<string, GatingFileOutcome>();
    const fetches: Array<Promise<void>> = [];
    let validity = false;
    for (const { subject, policies } of subjects) {
      for (const policy of policies) {
        if (!concerns(policy, subject)) continue;
        for (const rule of policy.rules) {
          if (rule.kind === 'PassingTestCaseRule') {
            validity ||= rule.validSince !== null || rule.validUntil !== null;
            continue;
          }
          if (!subject.type.supportsRemoteRule) continue;
          const templates = templatesFor(rule, subject, this.parts.settings.remoteRule.urlTemplates);
          const key = gatingFileKey(subject, templates);
          if (gatingFiles.has(key)) continue;
          gatingFiles.set(key, { kind: 'absent', urls: [] });
          fetches.push(
            fetchGatingFile(subject, templates, this.parts.build, this.parts.fetcher).then(
              (outcome) => void gatingFiles.set(key, outcome),
            ),
          );
        }
      }
    }
    const prepared: PreparedDecision = { request, subjects, gatingFiles, timeDependent: false };
    const withTimes = (): PreparedDecision | Promise<PreparedDecision> => {
      // A package's gating.yaml may use valid_since / valid_until too.
      validity ||= [...gatingFiles.values()].some(
        (f) => f.kind === 'found' && /valid_(since|until)/.test(f.text),
      );
      prepared.timeDependent = validity;
      if (!validity) return prepared;
      const times = subjects.map((s) => this.parts.build.creationTime(s.subject));
      const assign = (values: Array<number | null>) => {
        for (const [i, t] of values.entries()) subjects[i]!.creationTime = t;
        return prepared;
      };
      return times.some(isPromise) ? Promise.all(times).then(assign) : assign(times as Array<number | null>);
    };
    return fetches.length ? Promise.all(fetches).then(withTimes) : withTimes();
  }

  /** The decision on what the store holds now (or at the request's `when`); no I/O but store reads. */
  decidePrepared(prepared: PreparedDecision): DecisionResponse {
    const { request, gatingFiles } = prepared;
    // Only the testcases the policies name are read, unless a gating.yaml (which may name any) was found or all are wanted.
    const anyFile = [...gatingFiles.values()].some((f) => f.kind === 'found');
    const facts: SubjectFacts[] = prepared.subjects.map(({ subject, policies, creationTime }) => {
      const testcases = request.verbose || anyFile ? null : testcasesOf(policies, subject);
      const results = policies.length ? this.parts.results.latest(subject, request.when, testcases) : [];
      return {
        subject,
        policies,
        results,
        verboseResults: request.verbose
          ? this.parts.results.full(latestPerKey(results).map((r) => r.id))
          : undefined,
        creationTime,
      };
    });

    return decide({
      request,
      subjects: facts,
      waivers: () => this.waivers(request),
      gatingFiles,
      remoteRuleTemplates: this.parts.settings.remoteRule.urlTemplates,
      outcomes: this.parts.settings.outcomes,
      now: this.now(),
    });
  }

  private applicable(request: DecisionRequest, subject: Subject): Policy[] {
    if (request.onDemand) return [request.onDemand];
    const key = `${request.decisionContexts.join('\u0000')}\u0001${request.productVersion}\u0001${subject.type.id}`;
    let found = this.matches.get(key);
    if (!found) {
      found = applicablePolicies(
        this.parts.policies,
        request.decisionContexts,
        request.productVersion,
        subject,
      );
      if (this.matches.size >= MAX_CACHED_MATCHES) this.matches.clear();
      this.matches.set(key, found);
    }
    return found;
  }

  private waivers(request: DecisionRequest): WaiverJson[] {
    const subjects = request.subjects.map((s) => ({ type: s.type.id, identifier: s.identifier }));
    return this.parts.waivers.forSubjects(subjects, {
      productVersions: [request.productVersion],
      ...(request.when !== null ? { before: request.when } : {}),
    });
  }
}

/** The question a decision answers, when its answer may be cached: null otherwise. */
function cacheKey(r: DecisionRequest): string | null {
  if (r.verbose || r.when !== null || r.onDemand || r.ignoreResults.size || r.ignoreWaivers.size) return null;
  return JSON.stringify([
    r.productVersion,
    r.decisionContexts,
    r.subjects.map((s) => [s.type.id, s.identifier]),
  ]);
}

function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

function testcasesOf(policies: readonly Policy[], subject: Subject): string[] {
  const names = new Set<string>();
  for (const p of policies)
    if (concerns(p, subject))
      for (const r of p.rules) if (r.kind === 'PassingTestCaseRule') names.add(r.testCaseName);
  return [...names];
}

/** False when the policy's package lists leave this subject out: its rules are not checked, nothing is fetched. */
function concerns(policy: Policy, subject: Subject): boolean {
  const name = packageName(subject);
  if (name === null) return true;
  if (policy.excludedPackages.some((g) => fnmatch(name, g))) return false;
  return policy.packages.length === 0 || policy.packages.some((g) => fnmatch(name, g));
}
