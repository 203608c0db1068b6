import assert from 'node:assert/strict';
import { test } from 'node:test';
import { stableJson } from '../../schemas/stable-json.js';

test('stableJson: the same value gives the same text whatever order its keys were set in', () => {
  const a = {
    type: 'test-result-failed',
    item: { type: 'koji_build', identifier: 'bash-5.2.26-3.fc41' },
    scenario: null,
  };
  const b = {
    scenario: null,
    item: { identifier: 'bash-5.2.26-3.fc41', type: 'koji_build' },
    type: 'test-result-failed',
  };
  assert.equal(stableJson(a), stableJson(b));
  assert.equal(
    stableJson(a),
    '{"item":{"identifier":"bash-5.2.26-3.fc41","type":"koji_build"},"scenario":null,"type":"test-result-failed"}',
  );
});

test('stableJson: it reads back as the value, keeps array order, and leaves undefined out as JSON does', () => {
  const value = { b: [3, 1, { y: 'é"\n', x: true }], a: undefined, c: 1.5, d: [undefined] };
  const text = stableJson(value);
  assert.deepEqual(JSON.parse(text), JSON.parse(JSON.stringify(value)));
  assert.equal(text, '{"b":[3,1,{"x":true,"y":"é\\"\\n"}],"c":1.5,"d":[null]}');
  assert.notEqual(stableJson([1, 2]), stableJson([2, 1]));
});

test('stableJson: `omit` leaves one key of the top object out, and only there', () => {
  const r = { testcase: 't', result_id: 7, item: { result_id: 8 } };
  assert.equal(stableJson(r, 'result_id'), '{"item":{"result_id":8},"testcase":"t"}');
  assert.equal(stableJson({ ...r, result_id: 9 }, 'result_id'), stableJson(r, 'result_id'));
});
