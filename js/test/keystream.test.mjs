// js/keystream.js's counter arithmetic: the IV is one 128-bit big-endian counter (RFC 4344 §4),
// so a carry runs through every byte and wraps at 2^128, as the engine's AES-CTR does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { counterAt, KEYSTREAM_MODES } from '../../pkg/keystream.js';

const hex = (b) => Buffer.from(b).toString('hex');

test('counterAt carries across bytes and wraps at 2^128', () => {
  const iv = new Uint8Array(16);
  iv[15] = 0xff;
  iv[14] = 0xff;
  assert.equal(hex(counterAt(iv, 1)), '00000000000000000000000000010000');
  assert.equal(hex(counterAt(new Uint8Array(16), 2 ** 40 + 3)), '00000000000000000000010000000003');
  assert.equal(hex(counterAt(new Uint8Array(16).fill(0xff), 2)), '00000000000000000000000000000001');
  // The input is not changed.
  assert.equal(hex(iv), '0000000000000000000000000000ffff');
});

test('only AES-CTR keystream is asked for', () => {
  assert.deepEqual(KEYSTREAM_MODES, ['ctr']);
});
