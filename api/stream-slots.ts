import type { FastifyReply } from 'fastify';

/**
 * The one bound on long-lived responses (server-sent event streams and followed logs): each
 * holds a socket, timers and a reader for as long as the client stays, so a thousand of them
 * took the server from 4 % to 159 % CPU. One more than `max` is refused with 503 and Retry-After.
 */
export class StreamSlots {
  private readonly open = new Set<() => void>();

  constructor(private readonly max: number) {}

  get size(): number {
    return this.open.size;
  }

  /**
   * A slot for a stream that `end` closes, and the function that gives the slot back (call it
   * once the stream has ended); undefined when every slot is taken.
   */
  take(end: () => void): (() => void) | undefined {
    if (this.open.size >= this.max) return undefined;
    this.open.add(end);
    return () => this.open.delete(end);
  }

  /** Ends every open stream, so that closing the server does not wait on them. */
  endAll(): void {
    for (const end of [...this.open]) end();
  }

  /** The refusal when no slot is free. */
  refuse(reply: FastifyReply): FastifyReply {
    return reply
      .code(503)
      .header('retry-after', '5')
      .type('application/json; charset=utf-8')
      .send({
        message: `too many open streams (server.maxEventStreams = ${this.max}, event streams and followed logs together); try again later`,
      });
  }
}
