import { SluiceService } from '../../service/sluice-service.js';
import { createLogger } from '../../service/create-logger.js';
import { CONFIG_OPTION, cliConfig, parse } from '../cli-context.js';
import type { Command } from '../command.js';

export const serveCommand: Command = {
  name: 'serve',
  summary: 'run the service (HTTP API, consumers, outbox relay)',
  usage: `sluice serve [--config FILE]

Runs Sluice until SIGTERM or SIGINT, then stops taking messages, lets in-flight ones finish
and be acknowledged, and exits. With no configuration it runs on the embedded defaults:
in-process bus, SQLite file ./var/sluice.db, HTTP on 127.0.0.1:8080.
Environment: SLUICE_CONFIG, SLUICE_AMQP_URL, SLUICE_DB, SLUICE_HOST, SLUICE_PORT, SLUICE_LOG_LEVEL.`,
  async run(argv, io) {
    const { values } = parse(argv, CONFIG_OPTION, false);
    const config = cliConfig(values.config, io);
    const log = createLogger(config.log.level);
    const service = new SluiceService({ config, log });
    await service.start();
    const signal = await io.interrupted;
    log.info({ signal }, 'stopping');
    await service.stop();
    return 0;
  },
};
