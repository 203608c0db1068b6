import type { Statement } from 'better-sqlite3';
import type { Db } from './open-database.js';

/** SQL text with its parameters. */
export interface Sql {
  sql: string;
  params: Array<string | number>;
}

/**
 * The conditions of a `since` range (ResultsDB's and WaiverDB's `start[,end]`, both ends
 * inclusive) on `column`, their values pushed onto `params`.
 */
export function sinceConditions(
  column: string,
  since: { start?: number; end?: number },
  params: Array<string | number>,
): string[] {
  const c: string[] = [];
  if (since.start !== undefined) {
    params.push(since.start);
    c.push(`${column} >= ?`);
  }
  if (since.end !== undefined) {
    params.push(since.end);
    c.push(`${column} <= ?`);
  }
  return c;
}

/**
 * Prepared statements by text, for queries built from a request's filters: the text depends only
 * on which filters a query has (values travel as parameters), so the shapes are few and each is
 * prepared once. The bound only stops a flood of odd queries from growing the cache for ever.
 */
export class StatementCache {
  private readonly shapes = new Map<string, Statement>();

  constructor(
    private readonly db: Db,
    private readonly maxShapes: number,
  ) {}

  statement(sql: string): Statement {
    let stmt = this.shapes.get(sql);
    if (!stmt) {
      if (this.shapes.size >= this.maxShapes) this.shapes.clear();
      stmt = this.db.prepare(sql);
      this.shapes.set(sql, stmt);
    }
    return stmt;
  }

  all<T>(q: Sql): T[] {
    return this.statement(q.sql).all(...q.params) as T[];
  }

  get<T>(q: Sql): T {
    return this.statement(q.sql).get(...q.params) as T;
  }
}
