import { randomUUID } from 'node:crypto';
import type { Statement } from 'better-sqlite3';
import type { CompiledConfig } from '../config/config-types.js';
import type { Outbox } from './outbox.js';
import {
  chooseLatestPlan,
  chooseListDriver,
  type FilterCount,
  type PlanInput,
} from '../results/choose-plan.js';
import { toSqliteGlob } from '../results/glob-pattern.js';
import { knownOutcomes } from '../results/outcomes.js';
import { parseResultInput, type GroupInput, type ResultInput } from '../results/parse-result-input.js';
import {
  groupJson,
  resultJson,
  testcaseJson,
  type GroupJson,
  type GroupRow,
  type ResultRow,
  type StoredResult,
  type TestcaseJson,
  type TestcaseRow,
} from '../results/result-json.js';
import type { ListPage, ResultsQuery } from '../results/results-query.js';
import { syncDataKeyIndexes } from './data-key-indexes.js';
import type { Db } from './open-database.js';
import { StatementCache, type Sql } from './statement-cache.js';
import {
  countSql,
  pageSql,
  perTestcaseLatestSql,
  rankLatestSql,
  type ResolvedFilter,
} from './result-filter-sql.js';
import { RESULT_NEW } from '../results/result-topics.js';

export type { StoredResult } from '../results/result-json.js';

/** Filters matching more rows than this count as "large" when planning (see choose-plan). */
const COUNT_CAP = 5000;
const FIRST_COUNT_CAP = 250;
/** Shaped statements kept prepared; shapes are few, this only bounds a flood of odd queries. */
const MAX_SHAPES = 500;

/** A result just stored, and the id of its `resultsdb.result.new` message. */
export interface Stored {
  stored: StoredResult;
  messageId: string;
}

export interface Page<T> {
  items: T[];
  hasNext: boolean;
}

export interface TestcaseFilter extends ListPage {
  names: string[];
  likes: string[];
}

export interface GroupFilter extends ListPage {
  uuids: string[];
  descriptions: string[];
  descriptionLikes: string[];
}

const LIST = '(SELECT value FROM json_each(?))';
const GROUP_COLUMNS = `g.uuid AS uuid, g.description AS description, g.ref_url AS ref_url,
  (SELECT COUNT(*) FROM result_groups WHERE group_id = g.id) AS results_count`;

/**
 * Results, testcases and groups (ResultsDB's model) in SQLite. Results are append-only; a new
 * one is announced on `resultsdb.result.new` through the outbox, in the transaction that
 * stores it, so the message exists exactly when the result does.
 */
export class ResultsStore {
  /** The outcomes this deployment accepts, preset ones first. */
  readonly outcomes: string[];
  /** Data keys with an index of their own, which a query may start from. */
  readonly indexedKeys: Set<string>;
  private readonly submitTx: (input: ResultInput) => Stored;
  private readonly shapes: StatementCache;
  private readonly sql: {
    upsertTestcase: Statement;
    upsertGroup: Statement;
    insertResult: Statement;
    insertData: Statement;
    linkGroup: Statement;
    results: Statement<[string]>;
    data: Statement<[string]>;
    groups: Statement<[string]>;
    testcase: Statement<[string]>;
    testcaseRow: Statement<[string]>;
    group: Statement<[string]>;
    testcaseIds: Statement<[string]>;
    groupIds: Statement<[string]>;
    maxId: Statement<[]>;
  };

  /** Creates the configured data-key indexes (and drops others) first: a store for tools and tests. */
  static open(db: Db, outbox: Outbox, config: CompiledConfig, serverUrl?: () => string): ResultsStore {
    return new ResultsStore(
      db,
      outbox,
      config,
      syncDataKeyIndexes(db, config.results.indexedDataKeys),
      serverUrl,
    );
  }

  /** `indexedKeys`: the data keys that have an index (syncDataKeyIndexes made them at start-up). */
  constructor(
    private readonly db: Db,
    private readonly outbox: Outbox,
    config: CompiledConfig,
    indexedKeys: ReadonlySet<string>,
    /** Read at each use: with port 0 the URL is known only once the server listens. */
    private readonly serverUrl: () => string = () => config.serverUrl,
  ) {
    this.outcomes = knownOutcomes(config.results.additionalOutcomes);
    this.indexedKeys = new Set(indexedKeys);
    this.shapes = new StatementCache(db, MAX_SHAPES);
    this.sql = {
      // A given ref_url (even null) replaces the stored one; an absent one leaves it (ResultsDB).
      upsertTestcase: db.prepare(`INSERT INTO testcases (name, ref_url) VALUES (@name, @refUrl)
        ON CONFLICT (name) DO UPDATE SET ref_url = CASE WHEN @setRefUrl THEN excluded.ref_url ELSE testcases.ref_url END
        RETURNING id, ref_url`),
      upsertGroup:
        db.prepare(`INSERT INTO groups (uuid, description, ref_url) VALUES (@uuid, @description, @refUrl)
        ON CONFLICT (uuid) DO UPDATE SET
          description = CASE WHEN @setDescription THEN excluded.description ELSE groups.description END,
          ref_url = CASE WHEN @setRefUrl THEN excluded.ref_url ELSE groups.ref_url END
        RETURNING id`),
      insertResult: db.prepare(
        'INSERT INTO results (testcase_id, outcome, note, ref_url, submit_time) VALUES (?, ?, ?, ?, ?)',
      ),
      // All of a result's data in one statement: one call into SQLite instead of one per value.
      insertData: db.prepare(`INSERT INTO result_data (result_id, seq, key, value)
        SELECT ?, CAST(j.key AS INTEGER), j.value ->> 0, j.value ->> 1 FROM json_each(?) AS j`),
      linkGroup: db.prepare('INSERT OR IGNORE INTO result_groups (result_id, group_id) VALUES (?, ?)'),
      results:
        db.prepare(`SELECT r.id AS id, r.outcome AS outcome, r.note AS note, r.ref_url AS ref_url, r.submit_time AS submit_time,
        t.name AS testcase_name, t.ref_url AS testcase_ref_url
        FROM results AS r CROSS JOIN testcases AS t ON t.id = r.testcase_id WHERE r.id IN ${LIST}`),
      data: db.prepare(
        `SELECT result_id, key, value FROM result_data WHERE result_id IN ${LIST} ORDER BY result_id, seq`,
      ),
      groups:
        db.prepare(`SELECT rg.result_id AS result_id, g.uuid AS uuid FROM result_groups AS rg CROSS JOIN groups AS g ON g.id = rg.group_id
        WHERE rg.result_id IN ${LIST} ORDER BY rg.result_id, rg.group_id`),
      testcase: db.prepare('SELECT name, ref_url FROM testcases WHERE name = ?'),
      testcaseRow: db.prepare('SELECT id, ref_url FROM testcases WHERE name = ?'),
      group: db.prepare(`SELECT ${GROUP_COLUMNS} FROM groups AS g WHERE g.uuid = ?`),
      testcaseIds: db.prepare(`SELECT id FROM testcases WHERE name IN ${LIST}`),
      groupIds: db.prepare(`SELECT id FROM groups WHERE uuid IN ${LIST}`),
      maxId: db.prepare('SELECT COALESCE(MAX(id), 0) AS n FROM results'),
    };
    // Made once (better-sqlite3 builds a wrapper per call); used when the caller has no transaction.
    this.submitTx = db.transaction((input: ResultInput) => this.store(input));
  }

  /**
   * Validates a ResultsDB POST /results body, stores the result and adds its
   * `resultsdb.result.new` message to the outbox, in one transaction. Throws ResultInputError
   * (400 material) when the body cannot be stored. The caller kicks the outbox relay after commit.
   * Only the result: what gating derives from it is the use case's (intake/submit-result.ts).
   */
  submit(body: unknown): StoredResult {
    const input = parseResultInput(body, this.outcomes);
    // Inside a caller's transaction (a consumer's effect, itself a savepoint) a savepoint of our
    // own would only cost: if we throw, the caller's rollback takes our writes with its own.
    return (this.db.inTransaction ? this.store(input) : this.submitTx(input)).stored;
  }

  getResult(id: number): StoredResult | undefined {
    return this.load([id])[0];
  }

  listResults(query: ResultsQuery): Page<StoredResult> {
    const filter = this.resolve(query);
    if (!filter) return { items: [], hasNext: false };
    const offset = query.page * query.limit;
    const driver = chooseListDriver(this.planInput(filter), offset + query.limit + 1);
    const rows = this.shapes.all<{ id: number }>(
      pageSql(filter, driver, query.sort, query.limit + 1, offset),
    );
    return {
      items: this.load(rows.slice(0, query.limit).map((r) => r.id)),
      hasNext: rows.length > query.limit,
    };
  }

  /** The newest matching result per testcase (and per value of each `distinctOn` key), newest first. */
  latestResults(query: ResultsQuery): StoredResult[] {
    const filter = this.resolve(query);
    if (!filter) return [];
    const plan = chooseLatestPlan(this.planInput(filter), query.distinctOn);
    if (plan.strategy === 'rank') {
      return this.load(
        this.shapes
          .all<{ id: number }>(rankLatestSql(filter, plan.driver, query.distinctOn))
          .map((r) => r.id),
      );
    }
    const ids = this.shapes
      .all<{ id: number | null }>(perTestcaseLatestSql(filter))
      .flatMap((r) => (r.id === null ? [] : [r.id]));
    const newestFirst = (a: StoredResult, b: StoredResult) =>
      a.submit_time < b.submit_time ? 1 : a.submit_time > b.submit_time ? -1 : b.id - a.id;
    return this.load(ids).sort(newestFirst);
  }

  /** The query plans SQLite uses for a results query, for tuning and benchmarks. */
  explain(query: ResultsQuery, which: 'list' | 'latest'): string[] {
    const filter = this.resolve(query);
    if (!filter) return ['(nothing can match: a named testcase or group does not exist)'];
    const input = this.planInput(filter);
    let sql: Sql;
    if (which === 'list')
      sql = pageSql(
        filter,
        chooseListDriver(input, (query.page + 1) * query.limit + 1),
        query.sort,
        query.limit + 1,
        query.page * query.limit,
      );
    else {
      const plan = chooseLatestPlan(input, query.distinctOn);
      sql =
        plan.strategy === 'rank'
          ? rankLatestSql(filter, plan.driver, query.distinctOn)
          : perTestcaseLatestSql(filter);
    }
    return (
      this.shapes.statement(`EXPLAIN QUERY PLAN ${sql.sql}`).all(...sql.params) as Array<{ detail: string }>
    ).map((r) => r.detail);
  }

  /** POST /testcases: creates the testcase, or sets the ref_url of an existing one when given. */
  saveTestcase(name: string, refUrl: string | null | undefined): TestcaseJson {
    this.sql.upsertTestcase.run({
      name,
      refUrl: refUrl ?? null,
      setRefUrl: refUrl === undefined || refUrl === null ? 0 : 1,
    });
    return this.getTestcase(name)!;
  }

  getTestcase(name: string): TestcaseJson | undefined {
    const row = this.sql.testcase.get(name) as TestcaseRow | undefined;
    return row && testcaseJson(this.base, row);
  }

  /** Testcases by name, ordered by name; `names` and `likes` (`*` patterns) are alternatives. */
  listTestcases(f: TestcaseFilter): Page<TestcaseJson> {
    const params: Array<string | number> = [];
    const alternatives: string[] = [];
    if (f.names.length) {
      params.push(JSON.stringify(f.names));
      alternatives.push(`name IN ${LIST}`);
    }
    for (const like of f.likes) {
      params.push(toSqliteGlob(like));
      alternatives.push('name GLOB ?');
    }
    const where = alternatives.length ? ` WHERE ${alternatives.join(' OR ')}` : '';
    const rows = this.shapes.all<TestcaseRow>({
      sql: `SELECT name, ref_url FROM testcases${where} ORDER BY name LIMIT ? OFFSET ?`,
      params: [...params, f.limit + 1, f.page * f.limit],
    });
    return {
      items: rows.slice(0, f.limit).map((r) => testcaseJson(this.base, r)),
      hasNext: rows.length > f.limit,
    };
  }

  /** POST /groups: creates the group (with a new uuid when none is given) or updates the fields given. */
  saveGroup(input: GroupInput): GroupJson {
    const uuid = this.upsertGroup(input).uuid;
    return this.getGroup(uuid)!;
  }

  getGroup(uuid: string): GroupJson | undefined {
    const row = this.sql.group.get(uuid) as GroupRow | undefined;
    return row && groupJson(this.base, row);
  }

  /** Groups, newest first, by uuid or description (exact or `*` patterns). */
  listGroups(f: GroupFilter): Page<GroupJson> {
    const params: Array<string | number> = [];
    const c: string[] = [];
    if (f.uuids.length) {
      params.push(JSON.stringify(f.uuids));
      c.push(`g.uuid IN ${LIST}`);
    }
    const descriptions: string[] = [];
    if (f.descriptions.length) {
      params.push(JSON.stringify(f.descriptions));
      descriptions.push(`g.description IN ${LIST}`);
    }
    for (const like of f.descriptionLikes) {
      params.push(toSqliteGlob(like));
      descriptions.push('g.description GLOB ?');
    }
    if (descriptions.length) c.push(`(${descriptions.join(' OR ')})`);
    const where = c.length ? ` WHERE ${c.join(' AND ')}` : '';
    const sql = `SELECT ${GROUP_COLUMNS} FROM groups AS g${where} ORDER BY g.id DESC LIMIT ? OFFSET ?`;
    const rows = this.shapes.all<GroupRow>({ sql, params: [...params, f.limit + 1, f.page * f.limit] });
    return {
      items: rows.slice(0, f.limit).map((r) => groupJson(this.base, r)),
      hasNext: rows.length > f.limit,
    };
  }

  get database(): Db {
    return this.db;
  }

  private get base(): string {
    return this.serverUrl();
  }

  /**
   * Stores a parsed result and adds its `resultsdb.result.new` message to the outbox, inside the
   * caller's transaction. Returns the result as GET returns it and the message's id.
   */
  store(input: ResultInput): Stored {
    const refUrl = input.testcase.refUrl;
    // Nearly every result names a known testcase with its known ref_url: a read, not a write.
    let testcase = this.sql.testcaseRow.get(input.testcase.name) as
      | { id: number; ref_url: string | null }
      | undefined;
    if (!testcase || (refUrl !== undefined && refUrl !== testcase.ref_url)) {
      testcase = this.sql.upsertTestcase.get({
        name: input.testcase.name,
        refUrl: refUrl ?? null,
        setRefUrl: refUrl === undefined ? 0 : 1,
      }) as {
        id: number;
        ref_url: string | null;
      };
    }
    const groups = new Map<number, string>();
    for (const g of input.groups) {
      const row = this.upsertGroup(g);
      groups.set(row.id, row.uuid);
    }
    const submitTime = input.submitTime ?? Date.now();
    const id = Number(
      this.sql.insertResult.run(testcase.id, input.outcome, input.note, input.refUrl, submitTime)
        .lastInsertRowid,
    );
    if (input.data.length > 0) this.sql.insertData.run(id, JSON.stringify(input.data));
    for (const groupId of groups.keys()) this.sql.linkGroup.run(id, groupId);
    // Built from what was just written, in load()'s order (data as given, groups by id), so the
    // message is what GET returns without reading the result back (a test holds the two equal).
    const row: ResultRow = {
      id,
      outcome: input.outcome,
      note: input.note,
      ref_url: input.refUrl,
      submit_time: submitTime,
      testcase_name: input.testcase.name,
      testcase_ref_url: testcase.ref_url,
    };
    const uuids = [...groups].sort((a, b) => a[0] - b[0]).map(([, uuid]) => uuid);
    const stored = resultJson(this.base, row, input.data, uuids);
    return { stored, messageId: this.outbox.add(RESULT_NEW, stored) };
  }

  private upsertGroup(g: GroupInput): { id: number; uuid: string } {
    const uuid = g.uuid ?? randomUUID();
    const row = this.sql.upsertGroup.get({
      uuid,
      description: g.description ?? null,
      refUrl: g.refUrl ?? null,
      setDescription: g.description === undefined ? 0 : 1,
      setRefUrl: g.refUrl === undefined ? 0 : 1,
    }) as { id: number };
    return { id: row.id, uuid };
  }

  /** Results by id, in the order of `ids`, with their testcase, data and groups. */
  private load(ids: number[]): StoredResult[] {
    if (ids.length === 0) return [];
    const list = JSON.stringify(ids);
    const rows = new Map((this.sql.results.all(list) as ResultRow[]).map((r) => [r.id, r]));
    const data = new Map<number, Array<[string, string]>>();
    for (const d of this.sql.data.all(list) as Array<{ result_id: number; key: string; value: string }>) {
      const pairs = data.get(d.result_id) ?? [];
      pairs.push([d.key, d.value]);
      data.set(d.result_id, pairs);
    }
    const groups = new Map<number, string[]>();
    for (const g of this.sql.groups.all(list) as Array<{ result_id: number; uuid: string }>) {
      const uuids = groups.get(g.result_id) ?? [];
      uuids.push(g.uuid);
      groups.set(g.result_id, uuids);
    }
    const base = this.base;
    return ids.flatMap((id) => {
      const row = rows.get(id);
      return row ? [resultJson(base, row, data.get(id) ?? [], groups.get(id) ?? [])] : [];
    });
  }

  /** Names to ids; undefined when nothing can match (a named testcase or group does not exist). */
  private resolve(query: ResultsQuery): ResolvedFilter | undefined {
    let testcaseIds: number[] | undefined;
    if (query.testcases.length || query.testcasesLike.length) {
      const ids = new Set(
        (this.sql.testcaseIds.all(JSON.stringify(query.testcases)) as Array<{ id: number }>).map((r) => r.id),
      );
      for (const like of query.testcasesLike) {
        for (const r of this.shapes
          .statement('SELECT id FROM testcases WHERE name GLOB ?')
          .all(toSqliteGlob(like)) as Array<{ id: number }>)
          ids.add(r.id);
      }
      if (ids.size === 0) return undefined;
      testcaseIds = [...ids];
    }
    let groupIds: number[] | undefined;
    if (query.groups.length) {
      groupIds = (this.sql.groupIds.all(JSON.stringify(query.groups)) as Array<{ id: number }>).map(
        (r) => r.id,
      );
      if (groupIds.length === 0) return undefined;
    }
    return { testcaseIds, groupIds, data: query.data, outcomes: query.outcomes, since: query.since };
  }

  private planInput(filter: ResolvedFilter): PlanInput {
    // A data filter can start the query only when its key has an index; others are checked per result.
    const drivers: Array<FilterCount['driver']> = filter.data.flatMap((f, index) =>
      this.indexedKeys.has(f.key) ? [{ kind: 'data' as const, index }] : [],
    );
    if (filter.groupIds) drivers.push({ kind: 'groups' });
    if (filter.testcaseIds) drivers.push({ kind: 'testcases' });
    if (filter.since.start !== undefined || filter.since.end !== undefined) drivers.push({ kind: 'time' });
    // Only the smallest count matters: a low cap first finds a small filter (item=X) without
    // counting thousands of entries of the large ones (type=koji_build); raise it only when all are large.
    let counts: FilterCount[] = [];
    for (const cap of [FIRST_COUNT_CAP, COUNT_CAP]) {
      counts = drivers.map((driver) => {
        const { n } = this.shapes.get<{ n: number }>(countSql(filter, driver, cap));
        return { driver, count: n, capped: n >= cap };
      });
      if (counts.some((c) => !c.capped)) break;
    }
    return { counts, total: (this.sql.maxId.get() as { n: number }).n };
  }
}
