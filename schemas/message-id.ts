import { randomFillSync } from 'node:crypto';

// Random bytes come from a pool: one getrandom call per 409 ids instead of one per id.
const pool = Buffer.alloc(4096);
let poolOffset = pool.length;
const random = Buffer.alloc(10);
let lastMs = 0;
let sequence = 0;

/**
 * A new message id: a UUID version 7 (RFC 9562), time-ordered. Message ids are keys of the
 * outbox, the event log and the consumers' ledgers; random ids would land each insert on a
 * random page of those indexes, time-ordered ones append. Within one millisecond a counter in
 * the random bits keeps ids of this process increasing.
 */
export function newMessageId(now = Date.now()): string {
  if (poolOffset + 10 > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  pool.copy(random, 0, poolOffset, poolOffset + 10);
  poolOffset += 10;
  if (now <= lastMs) {
    sequence = (sequence + 1) & 0xfff;
    // 4,096 ids in one millisecond: borrow the next one rather than repeat the order.
    if (sequence === 0) lastMs++;
    now = lastMs;
  } else {
    lastMs = now;
    sequence = random.readUInt16BE(0) & 0x7ff;
  }
  const b = Buffer.alloc(16);
  b.writeUIntBE(now, 0, 6);
  b[6] = 0x70 | (sequence >> 8);
  b[7] = sequence & 0xff;
  random.copy(b, 8, 2, 10);
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
