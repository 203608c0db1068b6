/**
 * The benchmark's SMTP server, in a process of its own as a real one would be, so that its work
 * is not counted against either side. It takes every mail and counts them by Message-ID; the
 * parent talks to it over IPC: {expect: n} → {reached: n} once n mails are in; {report: true} →
 * {seen: [[id, count], ...]}; {reset: true} clears the counts.
 */
import { SMTPServer } from 'smtp-server';

const seen = new Map<string, number>();
let total = 0;
let expected = Infinity;

const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS'],
  // No reverse DNS of the client: on a machine without DNS each lookup waits for its timeout.
  disableReverseLookup: true,
  logger: false,
  closeTimeout: 100,
  onData(stream, _session, callback) {
    let head = '';
    stream.on('data', (c: Buffer) => {
      if (head.length < 4096) head += c.toString('latin1');
    });
    stream.on('end', () => {
      const id = /^Message-ID:\s*(\S+)/im.exec(head)?.[1] ?? '(none)';
      seen.set(id, (seen.get(id) ?? 0) + 1);
      callback();
      if (++total === expected) process.send!({ reached: total });
    });
  },
});

process.on('message', (m: { expect?: number; report?: boolean; reset?: boolean; stop?: boolean }) => {
  if (m.reset) {
    seen.clear();
    total = 0;
    expected = Infinity;
  }
  if (m.expect !== undefined) {
    expected = m.expect;
    if (total >= expected) process.send!({ reached: total });
  }
  if (m.report) process.send!({ seen: [...seen.entries()] });
  if (m.stop) server.close(() => process.exit(0));
});

server.listen(0, '127.0.0.1', () =>
  process.send!({ port: (server.server.address() as { port: number }).port }),
);
