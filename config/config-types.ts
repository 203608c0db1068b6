import type { PipelineSettings } from './pipeline-types.js';

/**
 * Greenwave's product_version_match entry: an identifier (or a Koji build target) matching
 * `match` (a regular expression, anchored at the start as Python's re.match) has the product
 * version `productVersion`, where `\1`, `\2`… stand for the groups matched.
 */
export interface ProductVersionMatch {
  match: string;
  productVersion: string;
}

/** One configured override (config `gating.subjectTypes`): fields given replace the built-in ones. */
export interface SubjectTypeSetting {
  id: string;
  aliases?: string[];
  itemKey?: string | null;
  itemDictKey?: string | null;
  isKojiBuild?: boolean;
  isNvr?: boolean;
  supportsRemoteRule?: boolean;
  ignoreMissingPolicy?: boolean;
  productVersion?: string | null;
  productVersionMatch?: ProductVersionMatch[];
  productVersionFromKojiBuildTarget?: ProductVersionMatch[];
  resultQueries?: Array<{ itemKey: string; types?: string[] | null }>;
}

/** What a user may write: every field optional. */
export type RawConfig = DeepPartial<ConfigWithDefaults>;
type DeepPartial<T> = { [K in keyof T]?: DeepPartialValue<T[K]> };
// Distributes over unions, so an object-or-null setting is partial too.
type DeepPartialValue<V> = V extends object ? DeepPartial<V> : V;

/** The configuration once the schema's defaults are filled in. */
export interface ConfigWithDefaults {
  server: {
    host: string;
    port: number;
    bodyLimitBytes: number;
    requestTimeoutMs: number;
    maxEventStreams: number;
    publicUrl: string | null;
    cors: string[];
  };
  db: { path: string; busyTimeoutMs: number; checkpointIntervalMs: number };
  bus: {
    url: string | null;
    exchange: string;
    topicPrefix: string;
    consumePrefixes: string[];
    queuePrefix: string;
    deadLetterQueue: string;
    passwordFile: string | null;
    tls: BusTlsSettings;
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
  auth: { readsRequireToken: boolean; sessionSeconds: number; tokens: ApiToken[]; oidc: OidcSettings | null };
  scheduler: { leaseSeconds: number; pruneCron: string };
  results: { additionalOutcomes: string[]; indexedDataKeys: string[] };
  waivers: WaiverSettings;
  gating: GatingSettings;
  notify: NotifySettings;
  log: { level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent' };
  pipeline: PipelineSettings;
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
  changesWhenStored: boolean;
  subjectTypes: SubjectTypeSetting[];
  cacheSubjects: number;
  cacheDecisions: number;
  outcomes: { passed: string[]; incomplete: string[]; error: string[] };
  remoteRule: {
    urlTemplates: Record<string, string[]>;
    fetchTimeoutMs: number;
    cacheTtlMs: number;
    sourceDataKey: string;
  };
  koji: { url: string | null; timeoutMs: number; cacheSize: number; cacheTtlMs: number };
  updates: { gracePeriodSeconds: number; recheckCron: string };
}

export interface BusTlsSettings {
  caFile: string | null;
  certFile: string | null;
  keyFile: string | null;
  passphraseFile: string | null;
  servername: string | null;
  rejectUnauthorized: boolean;
}

export interface NotifySettings {
  transport: 'file' | 'smtp';
  from: string;
  /** Resolved against the working directory when the configuration is compiled. */
  mailDir: string;
  smtp: SmtpSettings;
  retry: { delayMs: number; maxDelayMs: number; maxAttempts: number };
  claimTimeoutMs: number;
  batchSize: number;
  pollIntervalMs: number;
  debounceSeconds: number;
  keepDays: number;
  pruneCron: string;
  logTailLines: number;
  logTailBytes: number;
  logUrlPrefixes: string[];
  httpTimeoutMs: number;
  people: Record<string, string>;
  authorDomain: string | null;
  maintainers: Record<string, string[]>;
  rules: NotifyRuleSettings[];
}

export interface SmtpSettings {
  host: string;
  port: number;
  secure: boolean;
  requireTLS: boolean;
  tlsRejectUnauthorized: boolean;
  tlsCaFile: string | null;
  user: string | null;
  password: string | null;
  passwordFile: string | null;
  maxConnections: number;
  maxMessagesPerConnection: number;
  connectionTimeoutMs: number;
  greetingTimeoutMs: number;
  socketTimeoutMs: number;
}

export type OneOrMore = string | string[];
export type MatchValue = string | number | boolean | null;
export type MailTemplateName = 'job-failed' | 'decision-changed' | 'run-report';

export interface NotifyRuleSettings {
  name: string;
  topics?: string[];
  when: {
    decision?: 'changed' | 'became-unsatisfied' | 'became-satisfied';
    node?: { kind?: OneOrMore; name?: OneOrMore; job?: OneOrMore; state?: OneOrMore; result?: OneOrMore };
    run?: 'done';
    match?: Record<string, MatchValue | MatchValue[]>;
  };
  mail?: MailTemplateName;
  recipients: string[];
  webhook?: { url: string; secret: string };
  chat?: { urlFile: string; format?: 'slack' | 'markdown'; about?: MailTemplateName };
  debounceSeconds?: number;
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

export type Scope =
  | 'results:write'
  | 'waivers:write'
  | 'updates:write'
  | 'messages:publish'
  | 'runs:write'
  | 'admin';

export interface ApiToken {
  user: string;
  sha256: string;
  groups: string[];
  scopes: Scope[];
}

/** Access tokens from an OpenID Connect provider (auth.oidc). */
export interface OidcSettings {
  issuer: string;
  audience: string;
  requiredScope: string | null;
  userClaim: string;
  groupsClaim: string;
  scopes: Scope[];
  groupScopes: Record<string, Scope[]>;
  tokenScopes: Record<string, Scope[]>;
  clockToleranceSeconds: number;
  jwksCacheSeconds: number;
  timeoutMs: number;
  introspection: OidcIntrospectionSettings | null;
  login: OidcLoginSettings | null;
}

/** The dashboard's sign-in client (authorization-code flow with PKCE). */
export interface OidcLoginSettings {
  clientId: string;
  clientSecret: string | null;
  /** Resolved against the working directory when the configuration is compiled. */
  clientSecretFile: string | null;
  scope: string;
}

export interface OidcIntrospectionSettings {
  clientId: string;
  clientSecret: string | null;
  /** Resolved against the working directory when the configuration is compiled. */
  clientSecretFile: string | null;
  cacheSeconds: number;
}
