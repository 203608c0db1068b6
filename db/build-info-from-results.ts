import type { Statement } from 'better-sqlite3';
import { parseScmUrl, type BuildInfoSource, type ScmLookup } from '../gating/remote-rule.js';
import type { Subject } from '../gating/subject.js';
import type { Db } from './open-database.js';

/**
 * What the build system told Sluice about a build, read from its results (used when no Koji is
 * configured): the SCM URL a build
 * result carries under `sourceKey` (Koji's `source`, `git+https://src.fedoraproject.org/rpms/bash.git#<rev>`),
 * newest first; and, standing in for Koji's creation_time, when the subject's first result arrived.
 */
export class BuildInfoFromResults implements BuildInfoSource {
  private readonly sql: {
    source: Statement<[string, string, string]>;
    firstSeen: Statement<[string, string]>;
  };

  constructor(
    db: Db,
    private readonly sourceKey: string,
  ) {
    this.sql = {
      source: db.prepare(`SELECT s.value AS value FROM result_data AS d
        CROSS JOIN result_data AS s ON s.result_id = d.result_id AND s.key = ?
        WHERE d.key = ? AND d.value = ? ORDER BY d.result_id DESC LIMIT 1`),
      firstSeen: db.prepare(`SELECT MIN(r.submit_time) AS t FROM result_data AS d
        CROSS JOIN results AS r ON r.id = d.result_id WHERE d.key = ? AND d.value = ?`),
    };
  }

  scm(subject: Subject): ScmLookup {
    for (const q of subject.type.resultQueries) {
      const row = this.sql.source.get(this.sourceKey, q.itemKey, subject.identifier) as
        | { value: string }
        | undefined;
      if (row) return parseScmUrl(row.value, subject.identifier);
    }
    // Without Koji this is Greenwave's "Koji build not found": nothing says whether the package
    // has a gating.yaml, so the decision cannot be that it has none.
    return {
      error: `Cannot find where ${subject.type.id} ${subject.identifier} was built from: no Koji is configured (gating.koji.url) and no result of it carries its SCM URL (data key "${this.sourceKey}")`,
    };
  }

  creationTime(subject: Subject): number | null {
    let first: number | null = null;
    for (const q of subject.type.resultQueries) {
      const { t } = this.sql.firstSeen.get(q.itemKey, subject.identifier) as { t: number | null };
      if (t !== null && (first === null || t < first)) first = t;
    }
    return first;
  }
}
