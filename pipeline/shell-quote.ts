/**
 * One POSIX shell word that stands for exactly `value`: single quotes keep everything literal
 * ($, `, \, ;, newlines), and a single quote inside is closed, escaped and reopened.
 */
export function shellQuote(value: string): string {
  if (value.includes('\0')) throw new Error('a NUL byte cannot be passed to a shell');
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
