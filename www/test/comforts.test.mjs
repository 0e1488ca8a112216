// Pure logic of the page's terminal comforts, in Node: OSC 52 decoding and its caps.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeOsc52 } from '../osc52.js';

const b64 = (s) => Buffer.from(s, 'utf8').toString('base64');

test('OSC 52: a clipboard write is decoded (UTF-8 included)', () => {
  assert.deepEqual(decodeOsc52(`c;${b64('hello')}`), { copy: 'hello' });
  assert.deepEqual(decodeOsc52(`;${b64('héllo ✓')}`), { copy: 'héllo ✓' });
  assert.deepEqual(decodeOsc52(`pc;${b64('x')}`), { copy: 'x' });
  // Unpadded base64 (some programs omit the padding).
  assert.deepEqual(decodeOsc52(`c;${b64('ab').replace(/=+$/, '')}`), { copy: 'ab' });
  assert.deepEqual(decodeOsc52('c;'), { copy: '' });
});

test('OSC 52: reads, other selections, junk and oversize payloads are refused', () => {
  assert.match(decodeOsc52('c;?').refused, /read/);
  assert.match(decodeOsc52(`p;${b64('x')}`).refused, /clipboard/);
  assert.match(decodeOsc52(`s0;${b64('x')}`).refused, /clipboard/);
  assert.match(decodeOsc52('nosemicolon').refused, /malformed/);
  assert.match(decodeOsc52('c;**notbase64**').refused, /base64/);
  assert.match(decodeOsc52('c;abcde').refused, /base64/);
  assert.match(decodeOsc52('c;<img src=x>').refused, /base64/);
  assert.deepEqual(decodeOsc52(`c;${b64('x'.repeat(100))}`, 100), { copy: 'x'.repeat(100) });
  assert.match(decodeOsc52(`c;${b64('x'.repeat(101))}`, 100).refused, /too large/);
  // The cap is checked on the encoded length, before any decoding.
  assert.match(decodeOsc52(`c;${'A'.repeat(4 * 1024 * 1024)}`).refused, /too large/);
});
