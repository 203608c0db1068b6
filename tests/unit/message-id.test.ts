import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newMessageId } from '../../schemas/message-id.js';

test('message ids are version 7 UUIDs that sort in the order they were made, also within one millisecond', () => {
  const ids = Array.from({ length: 20_000 }, (_, i) =>
    newMessageId(1_700_000_000_000 + Math.floor(i / 5000)),
  );
  for (const id of ids)
    assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.deepEqual([...ids].sort(), ids);
  assert.equal(new Set(ids).size, ids.length);
  assert.equal(ids[0]!.replaceAll('-', '').slice(0, 12), (1_700_000_000_000).toString(16).padStart(12, '0'));
});
