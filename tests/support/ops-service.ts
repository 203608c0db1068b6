import { hashToken } from '../../api/auth.js';
import type { RouteInfo } from '../../api/http-server.js';
import type { RawConfig, Scope } from '../../config/config-types.js';
import { SluiceService, type SluiceServiceOptions } from '../../service/sluice-service.js';
import { silentLogger, testConfig, testRegistry } from './test-config.js';

export const SCOPES: Scope[] = [
  'results:write',
  'waivers:write',
  'updates:write',
  'messages:publish',
  'runs:write',
  'admin',
];

/** The token of the test user who holds exactly `scope`. */
export const tokenFor = (scope: Scope) => `token-for-${scope.replace(':', '-')}`;

/** One token per scope, each its own user, so a test can pick a right or a wrong one. */
export function scopedTokens(): NonNullable<NonNullable<RawConfig['auth']>['tokens']> {
  return SCOPES.map((scope) => ({
    user: `user-${scope.replace(':', '-')}`,
    sha256: hashToken(tokenFor(scope)),
    scopes: [scope],
    groups: [],
  }));
}

/** A service with every role on the embedded bus (not started), for app.inject tests. */
export function opsService(
  raw: RawConfig = {},
  options: Partial<SluiceServiceOptions> = {},
): Promise<SluiceService> {
  return SluiceService.create({
    config: testConfig(raw),
    log: silentLogger(),
    registry: testRegistry(),
    processMetrics: false,
    ...options,
  });
}

/** A concrete URL for a route pattern: each `:param` replaced by `value`. */
export function concreteUrl(route: Pick<RouteInfo, 'url'>, value = '1'): string {
  return route.url.replace(/:[A-Za-z_]+/g, encodeURIComponent(value)).replace(/\*$/, value);
}
