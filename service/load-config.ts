import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import { LineCounter, parseDocument } from 'yaml';
import { ConfigError } from '../errors/config-error.js';
import { unknownTemplateFields } from '../gating/remote-rule.js';
import { compilePipeline } from '../pipeline/compile-pipeline.js';
import { configSchema } from '../config/config-schema.js';
import type { CompiledConfig, ConfigWithDefaults } from '../config/config-types.js';
import { formatAjvErrors } from '../config/format-ajv-errors.js';
import { compileRules } from '../notify/notify-rules.js';

export const EMBEDDED_DEFAULTS = 'embedded defaults';

const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: true, allowUnionTypes: true });
const validate = ajv.compile(configSchema);

/** Environment variables that override one setting each; numeric ones are converted here. */
const ENV_OVERRIDES: Array<{ name: string; path: [string, string]; numeric?: boolean }> = [
  { name: 'SLUICE_AMQP_URL', path: ['bus', 'url'] },
  { name: 'SLUICE_DB', path: ['db', 'path'] },
  { name: 'SLUICE_HOST', path: ['server', 'host'] },
  { name: 'SLUICE_PORT', path: ['server', 'port'], numeric: true },
  { name: 'SLUICE_LOG_LEVEL', path: ['log', 'level'] },
];

export interface LoadConfigOptions {
  /** `--config FILE`; falls back to `env.SLUICE_CONFIG`; neither = embedded defaults. */
  file?: string | undefined;
  env: NodeJS.ProcessEnv;
  cwd?: string;
}

export function loadConfig({ file, env, cwd = process.cwd() }: LoadConfigOptions): CompiledConfig {
  const chosen = file ?? (env.SLUICE_CONFIG || undefined);
  const raw = chosen ? readConfigFile(path.resolve(cwd, chosen)) : {};
  const source = chosen ? path.resolve(cwd, chosen) : EMBEDDED_DEFAULTS;
  return compileConfig(validateConfig(applyEnvOverrides(raw, env), source), source, cwd);
}

export function readConfigFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, [`(file): cannot be read: ${(err as Error).message}`]);
  }
  // With prettyErrors off, yaml leaves `linePos` unset; a LineCounter turns offsets into positions.
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: false, lineCounter });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      file,
      doc.errors.map((e) => {
        const at = lineCounter.linePos(e.pos[0]);
        return `(yaml) line ${at.line}, column ${at.col}: ${e.message.split('\n')[0]}`;
      }),
    );
  }
  return doc.toJS() ?? {};
}

export function applyEnvOverrides(raw: unknown, env: NodeJS.ProcessEnv): unknown {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return raw; // the schema reports it
  const out = structuredClone(raw) as Record<string, Record<string, unknown>>;
  for (const o of ENV_OVERRIDES) {
    const value = env[o.name];
    if (value === undefined || value === '') continue;
    const [section, key] = o.path;
    const target = (out[section] ??= {});
    if (typeof target !== 'object' || target === null) continue;
    target[key] = o.numeric && /^\s*\d+\s*$/.test(value) ? Number(value) : value;
  }
  return out;
}

/** Fills the defaults in and lists every problem at once, as `path: reason`. */
export function validateConfig(raw: unknown, source: string): ConfigWithDefaults {
  const copy = structuredClone(raw ?? {});
  if (!validate(copy))
    throw new ConfigError(source, formatAjvErrors(validate.errors, '(root)', 'is not a known setting'));
  return copy as unknown as ConfigWithDefaults;
}

export function compileConfig(config: ConfigWithDefaults, source: string, cwd: string): CompiledConfig {
  const problems: string[] = [];
  if (config.bus.reconnect.maxDelayMs < config.bus.reconnect.initialDelayMs) {
    problems.push('bus.reconnect.maxDelayMs: must be >= bus.reconnect.initialDelayMs');
  }
  if (config.bus.retry.maxDelayMs < config.bus.retry.delayMs) {
    problems.push('bus.retry.maxDelayMs: must be >= bus.retry.delayMs');
  }
  for (const [type, templates] of Object.entries(config.gating.remoteRule.urlTemplates)) {
    for (const [i, t] of templates.entries()) {
      const unknown = unknownTemplateFields(t);
      if (unknown.length)
        problems.push(
          `gating.remoteRule.urlTemplates.${type}[${i}]: unknown placeholder${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => `{${u}}`).join(', ')}`,
        );
    }
  }
  for (const [i, t] of config.gating.subjectTypes.entries()) {
    for (const key of ['productVersionMatch', 'productVersionFromKojiBuildTarget'] as const) {
      for (const [j, m] of (t[key] ?? []).entries()) {
        try {
          new RegExp(m.match);
        } catch (err) {
          problems.push(
            `gating.subjectTypes[${i}].${key}[${j}].match: not a regular expression: ${(err as Error).message}`,
          );
        }
      }
    }
  }
  // node-schedule would silently never run a job whose rule it cannot read.
  for (const [at, cron] of [
    ['gating.updates.recheckCron', config.gating.updates.recheckCron],
    ['scheduler.pruneCron', config.scheduler.pruneCron],
    ['notify.pruneCron', config.notify.pruneCron],
  ] as const) {
    if (!/^\s*(\S+\s+){4,5}\S+\s*$/.test(cron) || /[^0-9A-Za-z*/,?#\s-]/.test(cron))
      problems.push(`${at}: "${cron}" is not a cron expression of 5 or 6 fields`);
  }
  const tls = config.bus.tls;
  if ((tls.certFile === null) !== (tls.keyFile === null))
    problems.push('bus.tls: certFile and keyFile go together (a client certificate and its key)');
  const usesTls =
    tls.caFile !== null || tls.certFile !== null || tls.servername !== null || !tls.rejectUnauthorized;
  if (usesTls && !config.bus.url?.startsWith('amqps://'))
    problems.push('bus.tls: is set, but bus.url is not an amqps:// URL');
  if (config.notify.retry.maxDelayMs < config.notify.retry.delayMs) {
    problems.push('notify.retry.maxDelayMs: must be >= notify.retry.delayMs');
  }
  const introspection = config.auth.oidc?.introspection;
  if (introspection && (introspection.clientSecret === null) === (introspection.clientSecretFile === null)) {
    problems.push('auth.oidc.introspection: needs one of clientSecret and clientSecretFile');
  }
  const login = config.auth.oidc?.login;
  if (login && login.clientSecret !== null && login.clientSecretFile !== null)
    problems.push('auth.oidc.login: clientSecret and clientSecretFile exclude each other');
  problems.push(...compileRules(config.notify).problems);
  const pipeline = compilePipeline(config.pipeline, cwd, problems);
  if (problems.length > 0) throw new ConfigError(source, problems);
  const resolve = (file: string | null) => (file === null ? null : path.resolve(cwd, file));
  const dbPath = config.db.path === ':memory:' ? ':memory:' : path.resolve(cwd, config.db.path);
  const host =
    config.server.host === '0.0.0.0' || config.server.host === '::' ? '127.0.0.1' : config.server.host;
  return deepFreeze({
    ...config,
    db: { ...config.db, path: dbPath },
    gating: {
      ...config.gating,
      policiesDir: config.gating.policiesDir === null ? null : path.resolve(cwd, config.gating.policiesDir),
    },
    bus: {
      ...config.bus,
      passwordFile: resolve(config.bus.passwordFile),
      tls: {
        ...tls,
        caFile: resolve(tls.caFile),
        certFile: resolve(tls.certFile),
        keyFile: resolve(tls.keyFile),
        passphraseFile: resolve(tls.passphraseFile),
      },
    },
    notify: {
      ...config.notify,
      mailDir: path.resolve(cwd, config.notify.mailDir),
      rules: config.notify.rules.map((r) =>
        r.chat ? { ...r, chat: { ...r.chat, urlFile: path.resolve(cwd, r.chat.urlFile) } } : r,
      ),
    },
    auth: config.auth.oidc
      ? {
          ...config.auth,
          oidc: {
            ...config.auth.oidc,
            introspection: config.auth.oidc.introspection && {
              ...config.auth.oidc.introspection,
              clientSecretFile: resolve(config.auth.oidc.introspection.clientSecretFile),
            },
            login: config.auth.oidc.login && {
              ...config.auth.oidc.login,
              clientSecretFile: resolve(config.auth.oidc.login.clientSecretFile),
            },
          },
        }
      : config.auth,
    pipeline,
    source,
    busKind: config.bus.url ? 'amqp' : 'embedded',
    serverUrl: (
      config.server.publicUrl ?? `http://${host.includes(':') ? `[${host}]` : host}:${config.server.port}`
    ).replace(/\/$/, ''),
  });
}

/**
 * Nothing changes the configuration after start-up: what the service learns later (the port it
 * got when asked for 0) is kept elsewhere, and a stray write fails loudly instead of acting at a distance.
 */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
