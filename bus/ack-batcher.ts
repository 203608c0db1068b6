import type { Channel, Message } from 'amqplib';

/**
 * Coalesces acks on one channel: once every delivery up to tag T is settled, one `basic.ack`
 * with `multiple` covers them all. Deliveries are settled out of order (a retry waits for its
 * confirm), so the ack only ever advances over a contiguous prefix. This spares the broker
 * (and this process) one frame per message.
 */
export class AckBatcher {
  private readonly settled = new Set<number>();
  private ackedUpTo: number | undefined;
  private lastAck: Message | undefined;
  private scheduled = false;

  constructor(private readonly channel: Channel) {}

  /** The first delivery on this channel fixes where the contiguous run starts. */
  delivered(msg: Message): void {
    if (this.ackedUpTo === undefined) this.ackedUpTo = msg.fields.deliveryTag - 1;
  }

  ack(msg: Message): void {
    this.settled.add(msg.fields.deliveryTag);
    this.lastAck = msg;
    this.schedule();
  }

  /** A delivery that was nacked on its own still closes its gap in the run. */
  nack(msg: Message, requeue: boolean): void {
    this.flush();
    this.channel.nack(msg, false, requeue);
    this.settled.add(msg.fields.deliveryTag);
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  /** Sends what can be acked now (before a channel is closed on purpose). */
  flush(): void {
    if (this.ackedUpTo === undefined) return;
    let upTo = this.ackedUpTo;
    while (this.settled.delete(upTo + 1)) upTo++;
    if (upTo === this.ackedUpTo) return;
    this.ackedUpTo = upTo;
    const template = this.lastAck;
    if (!template) return;
    try {
      // `multiple` acks every outstanding delivery up to this tag; nacked ones are no longer outstanding.
      this.channel.ack({ ...template, fields: { ...template.fields, deliveryTag: upTo } }, true);
    } catch {
      // the channel is gone; the broker redelivers whatever was not acked
    }
  }
}
