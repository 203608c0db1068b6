import type { Statement } from 'better-sqlite3';
import type { Db } from './open-database.js';

export interface DeliveryRecord {
  event: string;
  runId: number | null;
  outcome: string;
}

/** Webhook deliveries already handled, by forge and delivery id: a repeated delivery starts nothing. */
export class ForgeDeliveries {
  private readonly getStmt: Statement<[string, string]>;
  private readonly insertStmt: Statement<[string, string, string, number | null, string, number]>;

  constructor(db: Db) {
    this.getStmt = db.prepare(
      'SELECT event, run_id AS runId, outcome FROM forge_deliveries WHERE forge = ? AND delivery_id = ?',
    );
    this.insertStmt = db.prepare(
      'INSERT OR IGNORE INTO forge_deliveries (forge, delivery_id, event, run_id, outcome, received_at) VALUES (?, ?, ?, ?, ?, ?)',
    );
  }

  get(forge: string, deliveryId: string): DeliveryRecord | undefined {
    return this.getStmt.get(forge, deliveryId) as DeliveryRecord | undefined;
  }

  /** False when the delivery was recorded already. Call in the transaction that starts its run. */
  record(forge: string, deliveryId: string, event: string, runId: number | null, outcome: string): boolean {
    return this.insertStmt.run(forge, deliveryId, event, runId, outcome, Date.now()).changes === 1;
  }
}
