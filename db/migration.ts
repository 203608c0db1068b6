import type { Db } from './open-database.js';

export interface Migration {
  version: number;
  name: string;
  /** SQL run as one transaction, or a function run inside that transaction. */
  up: string | ((db: Db) => void);
}
