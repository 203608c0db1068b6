import type { CompiledConfig } from '../config/config-types.js';
import type { Policy } from '../gating/policy.js';

/** A policy written for Fedora: Bodhi's decision contexts, or Fedora's product versions. */
function isFedoraPolicy(p: Policy): boolean {
  return (
    p.decisionContexts.some((c) => c.startsWith('bodhi_')) ||
    p.productVersions.some((v) => v.startsWith('fedora-'))
  );
}

/**
 * A warning for a configuration that gates Fedora on RabbitMQ with no topic prefix. Bodhi's
 * consumer (bodhi/server/consumers/__init__.py) picks its handlers by topic suffix, with the dot:
 * `.resultsdb.result.new`, `.waiverdb.waiver.new`, `.ci.koji-build.test.running`; an unprefixed
 * `resultsdb.result.new` ends in none of them, so Bodhi would drop every message Sluice sends.
 * The embedded bus is left alone: nothing outside the process reads it.
 */
export function fedoraPrefixWarning(config: CompiledConfig, policies: Policy[]): string | null {
  if (config.bus.url === null || config.bus.topicPrefix !== '') return null;
  const fedora = policies.filter(isFedoraPolicy);
  if (fedora.length === 0) return null;
  const names =
    fedora
      .slice(0, 3)
      .map((p) => `'${p.id}'`)
      .join(', ') + (fedora.length > 3 ? ', …' : '');
  return (
    `bus.topicPrefix is empty, but Fedora gating policies are loaded (${names}): Bodhi matches topics ` +
    `ending in ".resultsdb.result.new" and ".waiverdb.waiver.new" and ignores Sluice's unprefixed ones; ` +
    `set bus.topicPrefix to Fedora's, e.g. "org.fedoraproject.prod."`
  );
}
