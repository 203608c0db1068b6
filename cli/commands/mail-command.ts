import { newMessageId } from '../../schemas/message-id.js';
import { DeliveryError } from '../../errors/delivery-error.js';
import { createMailTransport } from '../../notify/create-mail-transport.js';
import { bareAddress } from '../../notify/resolve-recipients.js';
import { testMail } from '../../notify/templates/test-mail.js';
import { CONFIG_OPTION, cliConfig, parse } from '../cli-context.js';
import { UsageError, type Command } from '../command.js';

export const mailCommand: Command = {
  name: 'mail',
  summary: 'send a test mail with the configured settings',
  usage: `sluice mail test ADDRESS [--config FILE]

Sends one mail to ADDRESS straight through the configured transport (notify.transport: smtp,
or file, which writes it under notify.mailDir), not through the outbox, and prints what the
server answered. Exit 1 when it could not be sent, saying whether the server refused it (5xx:
check the address and the sender) or could not be reached (check notify.smtp).`,
  async run(argv, io) {
    const { values, positionals } = parse(argv, CONFIG_OPTION);
    const [action, address, ...rest] = positionals;
    if (action !== 'test' || !address || rest.length) throw new UsageError('expected "mail test ADDRESS"');
    if (!/^[^@\s]+@[^@\s]+$/.test(bareAddress(address)))
      throw new UsageError(`"${address}" is not a mail address`);
    const config = cliConfig(values.config, io);
    const transport = createMailTransport(config.notify);
    const content = testMail(transport.target, config.source, new Date());
    const messageId = `<${newMessageId()}@${bareAddress(config.notify.from).split('@').pop()}>`;
    try {
      const receipt = await transport.send({
        from: config.notify.from,
        to: [address],
        subject: content.subject,
        text: content.text,
        html: content.html,
        headers: { 'X-Sluice-Mail': 'test' },
        messageId,
      });
      io.stdout.write(`sent ${messageId} to ${address} through ${transport.target}: ${receipt.response}\n`);
      for (const r of receipt.refused) io.stderr.write(`refused: ${r}\n`);
      return receipt.refused.length ? 1 : 0;
    } catch (err) {
      if (!(err instanceof DeliveryError)) throw err;
      io.stderr.write(
        `sluice mail: ${err.permanent ? 'refused' : 'could not send'} through ${transport.target}: ${err.message}\n`,
      );
      return 1;
    } finally {
      await transport.close();
    }
  },
};
