import { RunnerService } from '../../service/runner-service.js';
import { createLogger } from '../../service/create-logger.js';
import { CONFIG_OPTION, cliConfig, parse } from '../cli-context.js';
import type { Command } from '../command.js';

export const runnerCommand: Command = {
  name: 'runner',
  summary: 'run pipeline jobs on the configured builders (a runner process of its own)',
  usage: `sluice runner [--config FILE]

Takes pipeline.job.queued messages from RabbitMQ (bus.url) and runs them on the builders of
pipeline.builders, reporting back on the bus, until SIGTERM or SIGINT; then kills the jobs it
runs (they are reported incomplete) and exits. Several runners may share the work. Give it a
SQLite file of its own (db.path or SLUICE_DB), and set pipeline.runner.enabled: false on the
servers so that they leave the jobs to the runners.`,
  async run(argv, io) {
    const { values } = parse(argv, CONFIG_OPTION, false);
    const config = cliConfig(values.config, io);
    const log = createLogger(config.log.level);
    const service = new RunnerService(config, log);
    await service.start();
    log.info({ builders: config.pipeline.builders.map((b) => b.name) }, 'runner is taking jobs');
    const signal = await io.interrupted;
    log.info({ signal }, 'stopping');
    await service.stop();
    return 0;
  },
};
