import type { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { Authenticator } from './auth.js';
import type { Bus } from '../bus/bus.js';
import type { CompiledConfig } from '../config/config-types.js';
import type { EventLog } from '../db/event-log.js';
import type { Db } from '../db/open-database.js';
import type { ResultsStore } from '../db/results-store.js';
import type { WaiversStore } from '../db/waivers-store.js';
import type { DecisionMaker } from '../gating/decision-maker.js';
import type { SubjectTypes } from '../gating/subject-types.js';
import type { Outbox } from '../producers/outbox.js';
import type { UpdateGating } from '../updates/update-gating.js';
import type { OutboxRelay } from '../producers/outbox-relay.js';
import type { SchemaRegistry } from '../schemas/schema-registry.js';

/** What routes and consumers are given: the service's parts, no globals. */
export interface AppContext {
  config: CompiledConfig;
  log: Logger;
  db: Db;
  registry: SchemaRegistry;
  bus: Bus;
  outbox: Outbox;
  relay: OutboxRelay;
  eventLog: EventLog;
  /** Emits 'appended' (event id) when this process adds to the event log. */
  feed: EventEmitter;
  auth: Authenticator;
  results: ResultsStore;
  waivers: WaiversStore;
  /** Greenwave's side: the loaded policies (through `decisions`) and subject types; updates' gating. */
  gating: { subjectTypes: SubjectTypes; decisions: DecisionMaker; updates: UpdateGating };
}
