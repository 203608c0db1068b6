import type { Statement } from 'better-sqlite3';
import { splitNvr } from '../gating/nvr.js';
import type { KnownGoodRequest, KnownGoodSource } from '../pipeline/known-good-source.js';
import { compareNvr } from '../pipeline/rpm-vercmp.js';
import { toSqliteGlob } from '../results/glob-pattern.js';
import type { Db } from './open-database.js';

/**
 * The known-good set from gating decisions as the decision-change consumer last evaluated them
 * (gating_decisions): the same answer a release tool got from POST /decision or heard on
 * greenwave.decision.update, so a waiver makes a build good and a new failing result or a
 * revoked waiver makes it bad. Per package the newest passing build in rpm's version order is
 * taken, not the newest by time: a rebuild of an older version does not displace a newer one.
 * Read synchronously, inside the transaction that starts the compose job.
 */
export class DecisionsKnownGood implements KnownGoodSource {
  private readonly passing: Statement;

  constructor(db: Db) {
    this.passing = db
      .prepare(
        `SELECT subject_identifier FROM gating_decisions
          WHERE decision_context = @decisionContext AND product_version = @productVersion AND subject_type = 'koji_build'
            AND subject_identifier GLOB @suffix
            AND json_extract(decision, '$.policies_satisfied') = 1`,
      )
      .pluck();
  }

  knownGood({ release, decisionContext, productVersion, candidate }: KnownGoodRequest): string[] {
    // GLOB, not LIKE: case-sensitive, as the dist tag is.
    const suffix = toSqliteGlob(`*.${release}`);
    const best = new Map<string, string>();
    for (const nvr of this.passing.all({ decisionContext, productVersion, suffix }) as string[]) {
      const pkg = packageOf(nvr);
      const seen = best.get(pkg);
      if (seen === undefined || compareNvr(nvr, seen) > 0) best.set(pkg, nvr);
    }
    if (candidate) best.set(packageOf(candidate), candidate);
    return [...best.values()].sort();
  }
}

/** `bash-5.2.26-3.fc41` → `bash`; something that is not an NVR stands for itself. */
function packageOf(nvr: string): string {
  return splitNvr(nvr)?.name ?? nvr;
}
