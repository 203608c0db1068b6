import type { Db } from '../db/open-database.js';
import type { EffectTransaction } from './bus.js';

/** The handle an effect is given for a transaction on `db`. */
export function effectTransaction(db: Db): EffectTransaction {
  return db as unknown as EffectTransaction;
}

/**
 * The SQLite connection behind an effect's handle, for store code that writes inside the effect
 * (and for tests that do). Handlers that only know the Bus interface never need it.
 */
export function storeOf(tx: EffectTransaction): Db {
  return tx as unknown as Db;
}
