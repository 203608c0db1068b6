import { SluiceError } from '../../errors/sluice-error.js';
import { parseRoles } from '../../config/roles.js';
import { redactString } from '../../observability/redact-secrets.js';
import { SluiceService } from '../../service/sluice-service.js';
import { startupBanner } from '../../service/startup-banner.js';
import { SLUICE_VERSION } from '../../api/sluice-version.js';
import { createLogger } from '../../service/create-logger.js';
import { CONFIG_OPTION, cliConfig, parse } from '../cli-context.js';
import { UsageError, type Command } from '../command.js';

export const serveCommand: Command = {
  name: 'serve',
  summary: 'run the service, or some of its roles (HTTP API, consumers, runner, scheduler)',
  usage: `sluice serve [--config FILE] [--port N] [--host ADDRESS] [--role all|api|consumers|runner|scheduler[,...]]

Runs Sluice until SIGTERM or SIGINT, then stops taking messages, lets in-flight ones finish
and be acknowledged, and exits. With no configuration it runs on the embedded defaults:
in-process bus, SQLite file ./var/sluice.db, HTTP on 127.0.0.1:8080. --port and --host
override server.port and server.host (as SLUICE_PORT and SLUICE_HOST do).

--role (default all) selects what this process does; several processes with RabbitMQ
(bus.url) and one SQLite file share the work:
  api         the HTTP API
  consumers   the bus consumers (results from CI messages and result.submit, ...)
  runner      the consumers that run pipeline jobs
  scheduler   scheduled tasks (sweeps, pruning): however many processes have this role,
              each task runs in the one that holds the scheduler lease
Every process serves /healthz, /readyz and /metrics on server.port (give each its own, e.g.
SLUICE_PORT). Roles other than all need RabbitMQ.
Environment: SLUICE_CONFIG, SLUICE_ROLE, SLUICE_AMQP_URL, SLUICE_DB, SLUICE_HOST, SLUICE_PORT, SLUICE_LOG_LEVEL.`,
  async run(argv, io) {
    const { values } = parse(
      argv,
      {
        ...CONFIG_OPTION,
        role: { type: 'string', short: 'r' },
        port: { type: 'string', short: 'p' },
        host: { type: 'string' },
      },
      false,
    );
    if (values.port !== undefined && !/^\d{1,5}$/.test(values.port))
      throw new UsageError(`--port must be a port number (0 to 65535), not "${values.port}"`);
    let roles: ReturnType<typeof parseRoles>;
    try {
      roles = parseRoles(values.role ?? (io.env.SLUICE_ROLE || 'all'));
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    // The options win over the environment, which wins over the file: the usual order.
    const env = {
      ...io.env,
      ...(values.port === undefined ? {} : { SLUICE_PORT: values.port }),
      ...(values.host === undefined ? {} : { SLUICE_HOST: values.host }),
    };
    const config = cliConfig(values.config, { ...io, env });
    const log = createLogger(config.log.level);
    let service: SluiceService;
    try {
      service = await SluiceService.create({ config, log, roles });
    } catch (err) {
      if (err instanceof SluiceError && err.code === 'ROLE_INVALID') throw new UsageError(err.message);
      throw err;
    }
    const address = await service.start();
    // A person at a terminal gets a summary; JSON logs (stderr) stay as they are for machines.
    if ((io.stdout as { isTTY?: boolean }).isTTY && address) {
      const { gating, roles } = service.ctx;
      io.stdout.write(
        startupBanner({
          version: SLUICE_VERSION,
          url: service.ctx.serverUrl(),
          config,
          busDetail:
            config.bus.url === null
              ? 'embedded (in-process; no broker)'
              : `RabbitMQ ${redactString(config.bus.url)}`,
          policies: gating.decisions.policies,
          roles: [...roles],
        }),
      );
    }
    const signal = await io.interrupted;
    log.info({ signal }, 'stopping');
    await service.stop();
    return 0;
  },
};
