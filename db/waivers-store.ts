import type { Statement } from 'better-sqlite3';
import type { Outbox } from './outbox.js';
import type { WaiverInput } from '../waivers/parse-waiver-input.js';
import { parseBySubjectsBody, parseFilteredBody } from '../waivers/parse-waivers-query.js';
import { normalSubjectType, waiverJson, type WaiverJson, type WaiverRow } from '../waivers/waiver-json.js';
import type { WaiverAuthor } from '../waivers/waiver-permissions.js';
import type { FilteredWaiversQuery, WaiverFilter, WaiversListQuery } from '../waivers/waivers-query.js';
import type { Db } from './open-database.js';
import { sinceConditions, StatementCache } from './statement-cache.js';
import { WAIVER_NEW } from '../waivers/waiver-topics.js';

export type { WaiverJson } from '../waivers/waiver-json.js';

/** A checked waiver with its author: what `submit` stores. */
export type NewWaiver = Omit<WaiverInput, 'onBehalfOf'> & WaiverAuthor;

export interface WaiverSubject {
  type: string;
  identifier: string;
}

export interface ForSubjectsOptions {
  /** Only waivers for these product versions; absent = any. */
  productVersions?: string[];
  /**
   * Only waivers submitted at or before this moment (epoch ms), for Greenwave's `when`: Greenwave
   * asks WaiverDB for `since=1900-01-01T00:00:00.000000,WHEN`, an inclusive end.
   */
  before?: number;
}

export interface WaiversPage {
  items: WaiverJson[];
  /** How many match, over every page. */
  total: number;
}

const MAX_SHAPES = 200;
const SUBJECTS = `(SELECT DISTINCT value ->> 0 AS type, value ->> 1 AS identifier FROM json_each(?))`;
const IN_LIST = 'IN (SELECT value FROM json_each(?))';
const NEWEST_FIRST = 'ORDER BY w.timestamp DESC, w.id DESC';

/*
 * Which waivers are obsolete differs between WaiverDB's two listings, and we keep both as they
 * are: GET /waivers/ keeps the newest per subject × testcase × scenario × user × product version,
 * POST /waivers/+filtered the newest per subject × testcase × scenario. "Newest" is the highest
 * id among all waivers, whatever the filters, as WaiverDB's max(id) subquery has it.
 */
const NOT_REPLACED_FOR_USER = `NOT EXISTS (SELECT 1 FROM waivers AS n WHERE n.subject_type = w.subject_type
  AND n.subject_identifier = w.subject_identifier AND n.product_version = w.product_version AND n.testcase = w.testcase
  AND n.scenario IS w.scenario AND n.username = w.username AND n.id > w.id)`;
const NOT_REPLACED_FOR_SUBJECT = `NOT EXISTS (SELECT 1 FROM waivers AS n WHERE n.subject_type = w.subject_type
  AND n.subject_identifier = w.subject_identifier AND n.testcase = w.testcase AND n.scenario IS w.scenario AND n.id > w.id)`;

/**
 * Waivers (WaiverDB's model) in SQLite, append-only. A stored waiver is announced on
 * `waiverdb.waiver.new` through the outbox, in the transaction that stores it, so the message
 * exists exactly when the waiver does.
 */
export class WaiversStore {
  private readonly submitTx: (waivers: NewWaiver[]) => WaiverJson[];
  private readonly shapes: StatementCache;
  private readonly sql: {
    insert: Statement;
    byId: Statement<[number]>;
    forSubjects: Statement[];
  };

  /** `clock` gives the timestamp of a new waiver (epoch ms); tests set it. */
  constructor(
    private readonly db: Db,
    private readonly outbox: Outbox,
    private readonly clock: () => number = Date.now,
  ) {
    this.shapes = new StatementCache(db, MAX_SHAPES);
    const forSubjects = (versions: boolean, before: boolean) =>
      db.prepare(`SELECT w.* FROM ${SUBJECTS} AS s CROSS JOIN waivers AS w INDEXED BY waivers_subject
        ON w.subject_type = s.type AND w.subject_identifier = s.identifier
        WHERE ${versions ? `w.product_version ${IN_LIST}` : '1'} AND ${before ? 'w.timestamp <= ?' : '1'}
        ORDER BY w.id`);
    this.sql = {
      insert:
        db.prepare(`INSERT INTO waivers (subject_type, subject_identifier, testcase, scenario, product_version, waived, comment, username, proxied_by, timestamp)
        VALUES (@subjectType, @subjectIdentifier, @testcase, @scenario, @productVersion, @waived, @comment, @username, @proxiedBy, @timestamp) RETURNING *`),
      byId: db.prepare('SELECT * FROM waivers WHERE id = ?'),
      // Indexed by [has product versions][has before].
      forSubjects: [
        forSubjects(false, false),
        forSubjects(false, true),
        forSubjects(true, false),
        forSubjects(true, true),
      ],
    };
    // A savepoint when the caller is already in a transaction, so waivers and messages commit with its work.
    this.submitTx = db.transaction((waivers: NewWaiver[]) => waivers.map((w) => this.store(w).stored));
  }

  /**
   * Stores checked, authorised waivers (all or none) and adds one `waiverdb.waiver.new` message
   * per waiver to the outbox, in one transaction. The caller kicks the outbox relay after commit.
   * Only the waivers: what gating derives from them is the use case's (intake/submit-waiver.ts).
   */
  submit(waivers: NewWaiver[]): WaiverJson[] {
    return this.submitTx(waivers);
  }

  get(id: number): WaiverJson | undefined {
    const row = this.sql.byId.get(id) as WaiverRow | undefined;
    return row && waiverJson(row);
  }

  /** GET /waivers/: one page, newest first, and how many match in all. */
  list(query: WaiversListQuery): WaiversPage {
    const params: Array<string | number> = [];
    const c = filterConditions(query.filter, params);
    if (!query.includeObsolete) c.push(NOT_REPLACED_FOR_USER);
    const where = c.length ? ` WHERE ${c.join(' AND ')}` : '';
    const total = this.shapes.get<{ n: number }>({
      sql: `SELECT COUNT(*) AS n FROM waivers AS w${where}`,
      params,
    }).n;
    if (query.page < 1 || total === 0) return { items: [], total };
    const rows = this.shapes.all<WaiverRow>({
      sql: `SELECT w.* FROM waivers AS w${where} ${NEWEST_FIRST} LIMIT ? OFFSET ?`,
      params: [...params, query.limit, (query.page - 1) * query.limit],
    });
    return { items: rows.map(waiverJson), total };
  }

  /**
   * POST /waivers/+filtered with WaiverDB's body: every waiver matching any of the filters,
   * newest first, not paginated. Throws WaiverInputError for a body it cannot use.
   */
  filtered(body: unknown): WaiverJson[] {
    return this.matchingAny(parseFilteredBody(body), NOT_REPLACED_FOR_SUBJECT);
  }

  /**
   * POST /waivers/+by-subjects-and-testcases (WaiverDB's deprecated +filtered): waivers matching
   * any of the results, newest first, not paginated; obsolete as GET /waivers/ counts it.
   * Throws WaiverInputError for a body it cannot use.
   */
  bySubjectsAndTestcases(body: unknown): WaiverJson[] {
    return this.matchingAny(parseBySubjectsBody(body), NOT_REPLACED_FOR_USER);
  }

  private matchingAny(query: FilteredWaiversQuery, notReplaced: string): WaiverJson[] {
    if (query.filters.length === 0) return [];
    const params: Array<string | number> = [];
    const alternatives = query.filters.map((f) => {
      const c = filterConditions(f, params);
      return c.length ? `(${c.join(' AND ')})` : '1';
    });
    const c = [`(${alternatives.join(' OR ')})`];
    if (!query.includeObsolete) c.push(notReplaced);
    return this.shapes
      .all<WaiverRow>({
        sql: `SELECT w.* FROM waivers AS w WHERE ${c.join(' AND ')} ${NEWEST_FIRST}`,
        params,
      })
      .map(waiverJson);
  }

  /**
   * For the gating engine: every waiver of these subjects (revocations and replaced waivers too),
   * oldest first (by id), in one indexed query. `brew-build` subjects are read as `koji_build`.
   */
  forSubjects(
    subjects: Array<{ type: string; identifier: string }>,
    options: ForSubjectsOptions = {},
  ): WaiverJson[] {
    if (subjects.length === 0 || options.productVersions?.length === 0) return [];
    const { stmt, params } = this.forSubjectsQuery(
      subjects.map((s) => [normalSubjectType(s.type), s.identifier]),
      options,
    );
    return (stmt.all(...params) as WaiverRow[]).map(waiverJson);
  }

  /** The query plan of forSubjects, for tests and tuning. */
  explainForSubjects(options: ForSubjectsOptions = {}): string[] {
    const { stmt, params } = this.forSubjectsQuery([['koji_build', 'x']], options);
    return (
      this.db.prepare(`EXPLAIN QUERY PLAN ${stmt.source}`).all(...params) as Array<{ detail: string }>
    ).map((r) => r.detail);
  }

  private forSubjectsQuery(
    subjects: Array<[string, string]>,
    options: ForSubjectsOptions,
  ): { stmt: Statement; params: Array<string | number> } {
    const params: Array<string | number> = [JSON.stringify(subjects)];
    if (options.productVersions) params.push(JSON.stringify(options.productVersions));
    if (options.before !== undefined) params.push(options.before);
    return {
      stmt: this.sql.forSubjects[(options.productVersions ? 2 : 0) + (options.before !== undefined ? 1 : 0)]!,
      params,
    };
  }

  /** Stores one waiver and adds its `waiverdb.waiver.new` to the outbox, inside the caller's transaction; returns it and the message's id. */
  store(w: NewWaiver): { stored: WaiverJson; messageId: string } {
    const row = this.sql.insert.get({
      subjectType: w.subjectType,
      subjectIdentifier: w.subjectIdentifier,
      testcase: w.testcase,
      scenario: w.scenario,
      productVersion: w.productVersion,
      waived: w.waived ? 1 : 0,
      comment: w.comment,
      username: w.username,
      proxiedBy: w.proxiedBy,
      timestamp: this.clock(),
    }) as WaiverRow;
    const stored = waiverJson(row);
    return { stored, messageId: this.outbox.add(WAIVER_NEW, stored) };
  }
}

const COLUMNS: Array<[keyof Omit<WaiverFilter, 'since'>, string]> = [
  ['subjectType', 'subject_type'],
  ['subjectIdentifier', 'subject_identifier'],
  ['testcase', 'testcase'],
  ['scenario', 'scenario'],
  ['productVersion', 'product_version'],
  ['username', 'username'],
  ['proxiedBy', 'proxied_by'],
];

function filterConditions(f: WaiverFilter, params: Array<string | number>): string[] {
  const c: string[] = [];
  for (const [key, column] of COLUMNS) {
    const value = f[key];
    if (value === undefined) continue;
    params.push(value);
    c.push(`w.${column} = ?`);
  }
  c.push(...sinceConditions('w.timestamp', f.since, params));
  return c;
}
