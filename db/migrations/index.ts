import type { Migration } from '../migration.js';
import { foundation } from './001-foundation.js';
import { results } from './002-results.js';
import { dataKeyIndexes } from './003-data-key-indexes.js';
import { waivers } from './004-waivers.js';
import { gating } from './005-gating.js';
import { pipeline } from './006-pipeline.js';
import { mailOutbox } from './007-mail-outbox.js';
import { decisionChangesAndUpdates } from './008-decision-changes-and-updates.js';
import { leases } from './009-leases.js';
import { dropRecordedRunNodes } from './010-drop-recorded-run-nodes.js';
import { knownGoodIndex } from './011-known-good-index.js';
import { outboxIdsNeverReused } from './012-outbox-ids-never-reused.js';
import { outboxHandledBy } from './013-outbox-handled-by.js';
import { decisionHistory } from './014-decision-history.js';
import { webSessions } from './015-web-sessions.js';
import { outboxChat } from './016-outbox-chat.js';
import { environments } from './017-environments.js';
import { retention } from './018-retention.js';
import { forges } from './019-forges.js';
import { decisionHistoryReferences } from './020-decision-history-references.js';

/** Every migration, in order. A new one gets the next number and its own file. */
export const migrations: Migration[] = [
  foundation,
  results,
  dataKeyIndexes,
  waivers,
  gating,
  pipeline,
  mailOutbox,
  decisionChangesAndUpdates,
  leases,
  dropRecordedRunNodes,
  knownGoodIndex,
  outboxIdsNeverReused,
  outboxHandledBy,
  decisionHistory,
  webSessions,
  outboxChat,
  environments,
  retention,
  forges,
  decisionHistoryReferences,
];
