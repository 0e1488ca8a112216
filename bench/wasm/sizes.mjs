// What is big in a .wasm: code bytes per function, summed by crate (from the `name` section,
// demangled roughly), plus the data section. A stand-in for twiggy, which is not available here.
// node bench/wasm/sizes.mjs FILE.wasm [TOP=25]
import { readFileSync } from 'node:fs';

const buf = readFileSync(process.argv[2]);
const top = Number(process.argv[3] || 25);
let p = 8;
const leb = () => {
  let r = 0;
  let s = 0;
  for (;;) {
    const b = buf[p++];
    r += (b & 0x7f) * 2 ** s;
    s += 7;
    if (b < 0x80) return r;
  }
};
const str = () => {
  const n = leb();
  const v = buf.toString('utf8', p, p + n);
  p += n;
  return v;
};
let imports = 0;
const bodies = [];
const names = new Map();
const sections = {};
while (p < buf.length) {
  const id = buf[p++];
  const size = leb();
  const end = p + size;
  if (id === 0) {
    const name = str();
    sections[`custom:${name}`] = size;
    if (name === 'name') {
      while (p < end) {
        const sub = buf[p++];
        const len = leb();
        const subEnd = p + len;
        if (sub === 1) {
          const n = leb();
          for (let i = 0; i < n; i++) {
            const idx = leb();
            names.set(idx, str());
          }
        }
        p = subEnd;
      }
    }
  } else {
    sections[id] = (sections[id] || 0) + size;
    if (id === 2) {
      const n = leb();
      for (let i = 0; i < n; i++) {
        str();
        str();
        const kind = buf[p++];
        if (kind === 0) (leb(), imports++);
        else if (kind === 1) (p++, leb(), buf[p - 1] & 1 ? leb() : 0);
        else if (kind === 2) (buf[p] & 1 ? (p++, leb(), leb()) : (p++, leb()));
        else if (kind === 3) p += 2;
      }
    }
    if (id === 10) {
      const n = leb();
      for (let i = 0; i < n; i++) {
        const len = leb();
        bodies.push({ idx: imports + i, len });
        p += len;
      }
    }
  }
  p = end;
}
const label = { 1: 'type', 2: 'import', 3: 'function', 5: 'memory', 6: 'global', 7: 'export', 10: 'code', 11: 'data' };
console.log('sections:', Object.entries(sections).map(([k, v]) => `${label[k] || k} ${v}`).join(', '));
// The crate of a mangled name: `_ZN<len><crate>...` (legacy) or the first `C<hash>_<len><crate>`
// of a v0 `_R` name; generic impls count where their first path segment points.
const crateOf = (n) => {
  let m = /^_ZN(\d+)/.exec(n);
  if (m) {
    const len = Number(m[1]);
    const start = m[0].length;
    let c = n.slice(start, start + len);
    if (c.startsWith('_$LT$')) {
      const inner = /^_\$LT\$([a-z_0-9]+)\.\./.exec(c);
      c = inner ? inner[1] : c;
    }
    return c.replace(/\$.*/, '');
  }
  m = /Cs[0-9A-Za-z]+_(\d+)([a-z_0-9]+)/.exec(n);
  if (m) return m[2].slice(0, Number(m[1]));
  return n.startsWith('__') ? 'runtime' : n;
};
const byCrate = new Map();
for (const b of bodies) {
  const n = names.get(b.idx) || `#${b.idx}`;
  b.name = n;
  const c = crateOf(n);
  byCrate.set(c, (byCrate.get(c) || 0) + b.len);
}
console.log('\ncode bytes by crate:');
for (const [c, n] of [...byCrate].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(String(n).padStart(9), c);
console.log('\nlargest functions:');
for (const b of bodies.sort((a, b) => b.len - a.len).slice(0, top)) console.log(String(b.len).padStart(9), b.name.slice(0, 140));
