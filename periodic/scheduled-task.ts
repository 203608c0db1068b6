import schedule from 'node-schedule';
import type { Logger } from 'pino';
import { errorText } from '../errors/error-text.js';

export interface ScheduledTask {
  cancel(): Promise<void>;
}

/**
 * A periodic task on a cron expression, evaluated in UTC so that a schedule means the same on
 * every host. A run that is still going when the next one is due is not overlapped: that next
 * run is skipped and logged.
 */
export function scheduleTask(
  name: string,
  cron: string,
  run: () => unknown | Promise<unknown>,
  log: Logger,
): ScheduledTask {
  let current: Promise<void> | undefined;
  const job = schedule.scheduleJob(name, { rule: cron, tz: 'Etc/UTC' }, () => {
    if (current) {
      log.warn({ task: name }, 'previous run still going; this run is skipped');
      return;
    }
    current = (async () => {
      try {
        await run();
      } catch (err) {
        log.error({ task: name, err: errorText(err) }, 'scheduled task failed');
      } finally {
        current = undefined;
      }
    })();
  });
  return {
    async cancel() {
      job?.cancel();
      await current;
    },
  };
}
