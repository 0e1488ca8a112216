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

import { keySequence, applyModifiers } from '../keybar.js';

test('key bar: the bytes of its keys, normal and application cursor mode', () => {
  assert.equal(keySequence('Esc'), '\x1b');
  assert.equal(keySequence('Tab'), '\t');
  assert.equal(keySequence('↑'), '\x1b[A');
  assert.equal(keySequence('←'), '\x1b[D');
  assert.equal(keySequence('↑', { appCursor: true }), '\x1bOA');
  assert.equal(keySequence('→', { appCursor: true }), '\x1bOC');
  assert.equal(keySequence('Home'), '\x1b[H');
  assert.equal(keySequence('End', { appCursor: true }), '\x1bOF');
  assert.equal(keySequence('PgUp', { appCursor: true }), '\x1b[5~');
  assert.equal(keySequence('PgDn'), '\x1b[6~');
  assert.equal(keySequence('|'), '|');
  assert.equal(keySequence('Ctrl'), null);
});

test('key bar: sticky Ctrl and Alt on the next typed key', () => {
  assert.equal(applyModifiers('c', { ctrl: true }), '\x03');
  assert.equal(applyModifiers('C', { ctrl: true }), '\x03');
  assert.equal(applyModifiers('[', { ctrl: true }), '\x1b');
  assert.equal(applyModifiers(' ', { ctrl: true }), '\0');
  assert.equal(applyModifiers('?', { ctrl: true }), '\x7f');
  assert.equal(applyModifiers('x', { alt: true }), '\x1bx');
  assert.equal(applyModifiers('d', { ctrl: true, alt: true }), '\x1b\x04');
  // A paste (several characters) is not a key: Ctrl leaves it alone.
  assert.equal(applyModifiers('abc', { ctrl: true }), 'abc');
  assert.equal(applyModifiers('c'), 'c');
});

import { parseDeepLink, parseTarget, formatTarget } from '../deeplink.js';

test('deep links: device, user, port, several targets', () => {
  assert.deepEqual(parseDeepLink('#router1'), [{ device: 'router1' }]);
  assert.deepEqual(parseDeepLink('#admin@router1'), [{ device: 'router1', user: 'admin' }]);
  assert.deepEqual(parseDeepLink('#admin@router1:2222'), [{ device: 'router1', user: 'admin', port: 2222 }]);
  assert.deepEqual(parseDeepLink('#r1,ops@r2.lab'), [{ device: 'r1' }, { device: 'r2.lab', user: 'ops' }]);
  assert.deepEqual(parseDeepLink('#admin%40router1'), [{ device: 'router1', user: 'admin' }]);
  assert.deepEqual(parseDeepLink(''), []);
  assert.equal(formatTarget({ device: 'router1', user: 'admin', port: 2222 }), 'admin@router1:2222');
  assert.equal(formatTarget({ device: 'router1', port: 22 }), 'router1');
});

test('deep links: anything outside the patterns is dropped', () => {
  for (const bad of ['<img src=x onerror=alert(1)>', 'a@b@c', 'router1:0', 'router1:70000', 'x y', '"@r1', 'r1:22:22', '-r1', '@r1', 'a'.repeat(65)]) {
    assert.equal(parseTarget(bad), null, bad);
  }
  assert.deepEqual(parseDeepLink('#<script>,router1,%E0%A4%A'), []);
  assert.deepEqual(parseDeepLink('#<script>,router1'), [{ device: 'router1' }]);
  assert.equal(parseDeepLink(`#${Array(20).fill('r1').join(',')}`).length, 8);
});

import { normalize, loadSettings, saveSettings, DEFAULTS } from '../settings.js';

test('settings: stored values are checked, clamped and defaulted', () => {
  const mem = new Map();
  const storage = { getItem: (k) => mem.get(k) ?? null, setItem: (k, v) => mem.set(k, v) };
  assert.deepEqual(loadSettings(storage), DEFAULTS);
  mem.set('sshgate.settings', '{not json');
  assert.deepEqual(loadSettings(storage), DEFAULTS);
  saveSettings({ fontSize: '18', scrollback: 1e9, confirmClose: false, keyBar: 'on', evil: '<x>' }, storage);
  assert.deepEqual(loadSettings(storage), { fontSize: 18, scrollback: 100000, confirmClose: false, keyBar: 'on' });
  assert.deepEqual(normalize({ fontSize: 2, keyBar: 'sometimes', confirmClose: 'yes' }), { ...DEFAULTS, fontSize: 8 });
});
