import type { Db } from '../db/open-database.js';
import type { NewWaiver, WaiversStore } from '../db/waivers-store.js';
import type { DecisionCache } from '../gating/decision-cache.js';
import type { WaiverJson } from '../waivers/waiver-json.js';
import type { ChangesWhenStored } from './changes-when-stored.js';

export interface WaiverIntakeParts {
  db: Db;
  waivers: WaiversStore;
  /** Kept decision answers: those about a waived subject are dropped. */
  decisionCache?: DecisionCache;
  /** Present with gating.changesWhenStored; absent, all decision changes are left to the gating-changes consumer. */
  changes?: ChangesWhenStored;
}

/**
 * Checked, authorised waivers entering Sluice (POST /api/v1.0/waivers/), all or none, in one
 * transaction: each waiver and its `waiverdb.waiver.new` (WaiversStore), the cached decisions about
 * its subject dropped, and, with `changes`, the decision changes and update statuses it causes
 * (changes-when-stored.ts), each waiver's after the one before it.
 */
export class WaiverIntake {
  private readonly submitTx: (waivers: NewWaiver[]) => WaiverJson[];

  constructor(private readonly parts: WaiverIntakeParts) {
    this.submitTx = parts.db.transaction((waivers: NewWaiver[]) => waivers.map((w) => this.store(w)));
  }

  /** The caller kicks the outbox relay after commit. */
  submit(waivers: NewWaiver[]): WaiverJson[] {
    return this.submitTx(waivers);
  }

  private store(w: NewWaiver): WaiverJson {
    const { waivers, decisionCache, changes } = this.parts;
    const { stored, messageId } = waivers.store(w);
    decisionCache?.invalidate(stored.subject_identifier);
    changes?.apply(changes.effects.waiverEvent(stored), messageId, { waiverId: stored.id });
    return stored;
  }
}
