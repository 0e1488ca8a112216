// How long the page's main thread stands still during an expensive login, with the engine in the
// page (`worker: false`) and in its Web Worker (the browser default): Debian's Chromium via
// playwright-core, the built www/dist served by the bridge, `sshgate-host serve` with an RSA-3072
// host key, diffie-hellman-group16-sha512 and an RSA-3072 user key (publickey login).
//
// Three measures of each login (from just before connect() to its resolving):
// - Chromium's own trace (the `toplevel` category): the longest task the renderer's main thread
//   (CrRendererMain) ran, which is how long an input event could have waited;
// - a setTimeout(0) loop on the page: the longest gap between two of its turns is the longest time the
//   page's event loop could not run a task (an input event would have waited that long); the
//   loop's own period is ~4 ms (Chromium's clamp), so figures below that are the probe's floor;
// - PerformanceObserver 'longtask' entries (Chromium reports tasks of 50 ms and more only).
// Modes alternate; the first login of each mode warms up (wasm compile, JIT) and is not counted.
// Run by bench/worker.sh. Environment: SSHGATE_HOST, RUNS (default 5).
import { mkdtempSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { hostBin, startServe, startBridge } from '../../js/test/harness.mjs';
import { CHROMIUM, CHROMIUM_ARGS } from '../../www/test/chromium.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const runs = Number(process.env.RUNS || 5);
const dir = mkdtempSync(path.join(os.tmpdir(), 'sshgate-worker-bench-'));
const rsa = (name) => {
  const file = path.join(dir, name);
  execFileSync(hostBin, ['keygen', '-t', 'rsa', '-b', '3072', '-f', file, '-C', 'bench'], { stdio: 'pipe' });
  return file;
};
const hostKey = rsa('host_rsa');
const userKey = rsa('user_rsa');
const srv = await startServe(
  [{ name: 'lab', authorized_keys: [readFileSync(`${userKey}.pub`, 'utf8').trim()] }],
  '',
  [hostKey],
);
const bridge = await startBridge({ router1: `127.0.0.1:${srv.port}` }, ['--static', path.join(root, 'www/dist')]);
const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
const modes = [
  ['in the page (worker: false)', false],
  ['in a Web Worker (default)', undefined],
];
const results = new Map(modes.map(([name]) => [name, []]));

/**
 * The longest top-level task on the page's main thread (CrRendererMain) in a trace. The trace
 * spans one login: started just before connect(), stopped after it resolved and the connection
 * was closed, so it holds the login's tasks and the close's (a little more than the login).
 */
function longestMainTask(trace) {
  const events = trace.traceEvents || trace;
  const main = new Set(
    events.filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.args && e.args.name === 'CrRendererMain').map((e) => `${e.pid}:${e.tid}`),
  );
  let longest = 0;
  for (const e of events) {
    if (e.ph !== 'X' || !main.has(`${e.pid}:${e.tid}`)) continue;
    if (e.name !== 'ThreadControllerImpl::RunTask' && e.name !== 'RunTask') continue;
    longest = Math.max(longest, (e.dur || 0) / 1000);
  }
  return longest;
}
try {
  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${bridge.port}/`);
  await page.waitForFunction(() => window.sshgatePage && window.sshgatePage.sshgate);
  for (let i = 0; i < runs + 1; i++) {
    for (const [name, worker] of modes) {
      await browser.startTracing(page, { categories: ['toplevel', 'devtools.timeline'] });
      const r = await page.evaluate(
        async ({ url, privateKey, worker }) => {
          const long = [];
          const obs = new PerformanceObserver((list) => long.push(...list.getEntries().map((e) => e.duration)));
          obs.observe({ type: 'longtask' });
          let gap = 0;
          let last = performance.now();
          let probing = true;
          const tick = () => {
            const t = performance.now();
            gap = Math.max(gap, t - last);
            last = t;
            if (probing) setTimeout(tick, 0);
          };
          setTimeout(tick, 0);
          const t0 = performance.now();
          const c = await window.sshgatePage.sshgate.connect({
            websocket: url,
            username: 'lab',
            auth: [{ type: 'publickey', privateKey }],
            hostKey: () => true,
            algorithms: { kex: ['diffie-hellman-group16-sha512'], hostKey: ['rsa-sha2-512'] },
            ...(worker === false ? { worker: false } : {}),
          });
          const total = performance.now() - t0;
          // One more turn of the probe, so a task still running when connect() resolved counts.
          await new Promise((res) => setTimeout(res, 20));
          probing = false;
          await new Promise((res) => setTimeout(res, 0));
          obs.disconnect();
          const r = {
            gap,
            longtask: long.length ? Math.max(...long) : 0,
            longtasks: long.length,
            total,
            engine: c.longestCall,
            offThread: Boolean(c.offThread),
            kex: c.algorithms.kex,
            hk: c.algorithms.hostKey,
          };
          await c.close();
          return r;
        },
        { url: `ws://127.0.0.1:${bridge.port}/ssh/router1`, privateKey: readFileSync(userKey, 'utf8'), worker },
      );
      r.task = longestMainTask(JSON.parse((await browser.stopTracing()).toString()));
      if (r.offThread !== (worker !== false)) throw new Error(`${name}: the connection ran ${r.offThread ? 'off' : 'on'} the page's thread`);
      if (r.kex !== 'diffie-hellman-group16-sha512' || r.hk !== 'rsa-sha2-512') throw new Error(`negotiated ${r.kex} / ${r.hk}`);
      if (i > 0) results.get(name).push(r); // the first of each mode warms up
    }
  }
} finally {
  await browser.close();
  bridge.stop();
  srv.stop();
}
const med = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const max = (xs) => Math.max(...xs);
const version = execFileSync(CHROMIUM, ['--version']).toString().trim();
console.log(`#### The page's main thread during a DH group16 + RSA-3072 login, ${version} (headless)\n`);
console.log(
  `Connect + publickey login (RSA-3072 user key, rsa-sha2-512 host key of 3072 bits, diffie-hellman-group16-sha512) through the bridge to serve; ${runs} logins per mode after a warm-up, modes alternating. "Longest main-thread task" is the longest top-level task of the renderer's main thread in a Chromium trace of the login (and the close after it); "longest stall" is the longest gap between turns of a setTimeout(0) probe (its floor is ~4 ms); "longtask" is Chromium's Long Tasks API (tasks of 50 ms or more).\n`,
);
console.log('| engine | longest main-thread task, trace (worst / median) | longest stall, setTimeout probe (worst / median) | longest longtask | longtasks | longest engine call (its thread) | login total (median) |');
console.log('|---|---:|---:|---:|---:|---|---:|');
const worst = {};
for (const [name] of modes) {
  const rs = results.get(name);
  worst[name] = max(rs.map((r) => r.task));
  const e = rs.reduce((a, b) => (b.engine.ms > a.engine.ms ? b : a)).engine;
  console.log(
    `| ${name} | ${worst[name].toFixed(1)} / ${med(rs.map((r) => r.task)).toFixed(1)} ms | ${max(rs.map((r) => r.gap)).toFixed(1)} / ${med(rs.map((r) => r.gap)).toFixed(1)} ms | ${max(rs.map((r) => r.longtask)).toFixed(0)} ms | ${rs.reduce((n, r) => n + r.longtasks, 0)} | ${e.ms.toFixed(1)} ms (${e.name}) | ${med(rs.map((r) => r.total)).toFixed(0)} ms |`,
  );
}
const [a, b] = modes.map(([name]) => worst[name]);
console.log(`\nLongest main-thread task in the page / with the worker: ${(a / b).toFixed(1)}x (${a.toFixed(1)} ms / ${b.toFixed(1)} ms).\n`);
