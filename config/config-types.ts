import type { SubjectTypeSetting } from '../gating/subject-types.js';

/** What a user may write: every field optional. */
export type RawConfig = DeepPartial<ConfigWithDefaults>;
type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };

/** The configuration once the schema's defaults are filled in. */
export interface ConfigWithDefaults {
  server: { host: string; port: number; bodyLimitBytes: number; publicUrl: string | null };
  db: { path: string; busyTimeoutMs: number };
  bus: {
    url: string | null;
    exchange: string;
    topicPrefix: string;
    queuePrefix: string;
    deadLetterQueue: string;
    prefetch: number;
    confirmTimeoutMs: number;
    heartbeatSeconds: number;
    connectTimeoutMs: number;
    retry: RetrySettings;
    reconnect: { initialDelayMs: number; maxDelayMs: number };
    pollIntervalMs: number;
  };
  outbox: { batchSize: number; pollIntervalMs: number; retryDelayMs: number; maxRetryDelayMs: number };
  events: { maxEvents: number; dedupRetentionHours: number; recordTopics: string[] };
  auth: { tokens: ApiToken[] };
  results: { additionalOutcomes: string[]; indexedDataKeys: string[] };
  waivers: WaiverSettings;
  gating: GatingSettings;
  log: { level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent' };
}

export interface WaiverSettings {
  superusers: string[];
  permissions: WaiverPermissionRule[];
}

export interface WaiverPermissionRule {
  name?: string;
  maintainers: string[];
  testcases: string[];
  testcasesIgnore: string[];
  users: string[];
  groups: string[];
}

export interface GatingSettings {
  policiesDir: string | null;
  subjectTypes: SubjectTypeSetting[];
  cacheSubjects: number;
  cacheDecisions: number;
  outcomes: { passed: string[]; incomplete: string[]; error: string[] };
  remoteRule: { urlTemplates: Record<string, string[]>; fetchTimeoutMs: number; cacheTtlMs: number; sourceDataKey: string };
  updates: { gracePeriodSeconds: number; recheckCron: string };
}

export interface RetrySettings {
  maxAttempts: number;
  delayMs: number;
  backoffFactor: number;
  maxDelayMs: number;
}

/** What the service runs on: defaults filled, paths resolved, derived values computed once. */
export interface CompiledConfig extends ConfigWithDefaults {
  /** Where the configuration came from (a file path, or "embedded defaults"). */
  source: string;
  busKind: 'embedded' | 'amqp';
  /** The URL the CLI uses to reach a running server. */
  serverUrl: string;
}

export type Scope = 'results:write' | 'waivers:write' | 'updates:write' | 'messages:publish' | 'runs:write' | 'admin';

export interface ApiToken {
  user: string;
  sha256: string;
  groups: string[];
  scopes: Scope[];
}
