/**
 * The URL clients (the CLI, links in answers, messages and mails) reach this server at. It starts
 * as the configured one; asked for any free port (0), the port is known only once the server
 * listens. Kept apart from the configuration, which nothing changes after start-up.
 */
export class ServerUrl {
  private url: string;

  constructor(configured: string) {
    this.url = configured;
  }

  get(): string {
    return this.url;
  }

  /** The server listens on `port`: a URL that names port 0 carries that one instead. */
  listening(port: number): void {
    this.url = this.url.replace(/:0$/, `:${port}`);
  }
}
