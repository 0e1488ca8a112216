// js/text.js gives the same answers as the engine's src/text.rs (its unit tests' cases): a page
// shows a server's banner, prompts and disconnect reason as `sshgate-host ssh` does, escaped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { forTerminal, forLog, LOG_MAX_CHARS } from '../text.js';

test('printable text is kept', () => {
  assert.equal(forLog('OpenSSH_9.2p1 Debian-2', 100), 'OpenSSH_9.2p1 Debian-2');
  assert.equal(forTerminal('Grüße, 設備\n', 100), 'Grüße, 設備\n');
});

test('escapes and CSI are made visible', () => {
  // Retitle the window, clear the screen, ring the bell.
  const evil = '\x1b]0;pwned\x07\x1b[2J';
  assert.equal(forTerminal(evil, 100), '\\033]0;pwned\\007\\033[2J');
  assert.equal(forTerminal(evil), '\\033]0;pwned\\007\\033[2J');
  assert.equal(forLog('a\u009b31mb', 100), 'a\\u{009B}31mb');
  assert.equal(forLog('x\u202egpj.exe', 100), 'x\\u{202E}gpj.exe');
  assert.equal(forLog('back\\slash', 100), 'back\\\\slash');
  assert.equal(forLog('\u2066\u2028\ufeff\x7f'), '\\u{2066}\\u{2028}\\u{FEFF}\\177');
});

test('newlines split lines only when allowed', () => {
  assert.equal(forLog('lab\nINFO accepted password for root', 100), 'lab\\012INFO accepted password for root');
  assert.equal(forTerminal('line 1\r\nline 2\rover', 100), 'line 1\nline 2\\015over');
  assert.equal(forLog('a\r\nb\tc', 100), 'a\\015\\012b\\011c');
});

test('long text is cut with a note', () => {
  const long = 'a'.repeat(300_000);
  assert.equal(forLog(long, LOG_MAX_CHARS), `${'a'.repeat(256)}...[299744 more bytes]`);
  assert.equal(forLog(long), `${'a'.repeat(256)}...[299744 more bytes]`);
  assert.equal(forLog('abc', 3), 'abc');
  assert.equal(forLog('abcd', 3), 'abc...[1 more bytes]');
  assert.equal(forLog('', 0), '');
  // Characters, not UTF-16 units, are counted; the note counts UTF-8 bytes (as Rust's).
  assert.equal(forLog('設備設備', 2), '設備...[6 more bytes]');
  assert.equal(forLog('😀😀', 1), '😀...[4 more bytes]');
});

test('a lone surrogate is replaced, not passed through', () => {
  assert.equal(forLog('SSH-2.0-\ud800\x1b[31m', 100), 'SSH-2.0-\ufffd\\033[31m');
});
