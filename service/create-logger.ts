import pino, { type Logger } from 'pino';

/** JSON lines on stderr (stdout belongs to commands such as `tail`). */
export function createLogger(level: string, destination: NodeJS.WritableStream = process.stderr): Logger {
  return pino(
    {
      level,
      base: { service: 'sluice', pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: ['password', '*.password', 'token', '*.token', 'headers.authorization', 'req.headers.authorization'], censor: '[redacted]' },
    },
    destination,
  );
}
