/** The end of a job's log, as much as a mail quotes. */
export interface LogTail {
  /** The last lines, or null when the log could not be read. */
  text: string | null;
  /** True when the log is longer than what `text` holds. */
  truncated: boolean;
  /** Why there is no text (no log URL, the server refused, a timeout). */
  problem: string | null;
}

/**
 * Where a failed job's mail gets the end of its log. Today: the node's log URL over HTTP (the
 * pipeline serves it); an implementation over the pipeline's log store can replace it in-process.
 */
export interface JobLogSource {
  tail(logUrl: string | null): Promise<LogTail>;
}
