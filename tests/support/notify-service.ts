import type { TestContext } from 'node:test';
import type { RawConfig } from '../../config/config-types.js';
import type { OutboxEntryJson, OutboxState } from '../../db/mail-outbox.js';
import { SluiceService } from '../../service/sluice-service.js';
import { notifyRegistry } from './notify-fixtures.js';
import { SmtpTestServer } from './smtp-test-server.js';
import { silentLogger, testConfig } from './test-config.js';

export interface NotifyHarness {
  service: SluiceService;
  base: string;
  smtp: SmtpTestServer;
  /** Publishes through the server's HTTP API, as any client would. */
  publish(topic: string, body: unknown): Promise<string>;
  outbox(
    query?: string,
  ): Promise<{ data: OutboxEntryJson[]; counts: Record<OutboxState, number>; next: string | null }>;
}

/** Settings that retry within a test's patience: short timeouts, delays of a tenth of a second. */
export function fastSmtp(port: number): NonNullable<RawConfig['notify']> {
  return {
    transport: 'smtp',
    from: 'Sluice CI <sluice@ci.example.org>',
    smtp: {
      host: '127.0.0.1',
      port,
      connectionTimeoutMs: 1000,
      greetingTimeoutMs: 1000,
      socketTimeoutMs: 3000,
    },
    retry: { delayMs: 100, maxDelayMs: 400, maxAttempts: 200 },
    pollIntervalMs: 50,
  };
}

/** Sluice with the given notify settings, sending to a real SMTP server on loopback. */
export async function notifyHarness(
  t: TestContext,
  notify: RawConfig['notify'],
  { smtp, amqpUrl }: { smtp?: SmtpTestServer; amqpUrl?: string | undefined } = {},
): Promise<NotifyHarness> {
  const server = smtp ?? (await SmtpTestServer.create());
  const config = testConfig({ notify: { ...fastSmtp(server.port), ...notify } }, { amqpUrl });
  const service = await SluiceService.create({ config, log: silentLogger(), registry: notifyRegistry() });
  const base = (await service.start())!;
  t.after(async () => {
    await service.stop();
    await server.stop();
  });
  return {
    service,
    base,
    smtp: server,
    async publish(topic, body) {
      const res = await fetch(`${base}/api/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ topic, body }),
      });
      if (res.status !== 202) throw new Error(`publish ${topic}: HTTP ${res.status} ${await res.text()}`);
      return ((await res.json()) as { message_id: string }).message_id;
    },
    async outbox(query = '') {
      const res = await fetch(`${base}/api/v1/outbox${query}`);
      if (res.status !== 200)
        throw new Error(`GET /api/v1/outbox${query}: HTTP ${res.status} ${await res.text()}`);
      return (await res.json()) as Awaited<ReturnType<NotifyHarness['outbox']>>;
    },
  };
}
