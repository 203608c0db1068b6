/** What an error says, for a log line, a retry reason or a dead letter: its message, else its name. */
export function errorText(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}
