/** How a command ended: an exit code, or the signal that ended it. */
export interface ExecExit {
  code: number | null;
  signal: string | null;
}

/**
 * What a job needs of a machine, whether it is this one (LocalBuilder) or one reached over SSH
 * (SshBuilder): run a shell script with its output streamed, read a file, copy a file here.
 */
export interface BuilderConnection {
  /** Resolves once the command runs; `exit` settles when it ends (rejects if the connection is lost). */
  exec(script: string, onOutput?: (chunk: Buffer) => void): Promise<{ exit: Promise<ExecExit> }>;
  /** The file's bytes, or undefined when there is no such file; refuses files over `maxBytes`. */
  readFile(path: string, maxBytes: number): Promise<Buffer | undefined>;
  fetchFile(remotePath: string, localPath: string): Promise<void>;
}

export interface Builder {
  readonly name: string;
  readonly labels: readonly string[];
  readonly jobLimit: number;
  /** Where job working directories are made. */
  readonly workRoot: string;
  readonly backoff: { initialMs: number; maxMs: number };
  /** The open connection, opening one when there is none; throws BuilderError. */
  connect(): Promise<BuilderConnection>;
  close(): Promise<void>;
}
