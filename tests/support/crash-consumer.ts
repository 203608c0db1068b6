/**
 * A consumer process for the crash-safety test: the whole service without HTTP, plus a
 * consumer of `test.#` that writes one row per message. The test kills it with SIGKILL.
 *   node crash-consumer.js CONFIG_FILE
 */
import { loadConfig } from '../../service/load-config.js';
import { openDatabase } from '../../db/open-database.js';
import { SluiceService } from '../../service/sluice-service.js';
import { createLogger } from '../../service/create-logger.js';
import { createEffectsTable, effectsConsumer } from './effects-consumer.js';
import { testRegistry } from './test-config.js';

const config = loadConfig({ file: process.argv[2], env: process.env });
const setupDb = openDatabase(config.db.path);
createEffectsTable(setupDb);
setupDb.close();
const service = await SluiceService.create({
  config,
  log: createLogger(config.log.level),
  registry: testRegistry(),
  http: false,
  consumers: [() => effectsConsumer('crash-effects', ['test.#'])],
});
await service.start();
process.stdout.write('ready\n');
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    void service.stop().then(() => process.exit(0));
  });
}
