#!/usr/bin/env node
// Lighthouse budgets of the web app: performance ≥ 90, accessibility ≥ 95,
// best practices ≥ 95 on `/` and `/currency/JPY`, the first screen's JavaScript
// ≤ 150 KB compressed (gzip), and no request to another host. Exit 1 when a budget is missed.
//
//   TRAVEL_WEB_URL=http://127.0.0.1:8080 npm run lighthouse   # a running gateway
//   npm run lighthouse                                         # starts `vite preview` on dist/
//
// Chromium: CHROME_PATH (default /usr/bin/chromium). Reports: lighthouse-reports/*.json.
import { spawn, execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { createServer } from 'node:net';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const outDir = join(root, 'lighthouse-reports');
const CHROME = process.env.CHROME_PATH ?? '/usr/bin/chromium';
const FLAGS =
  '--headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking --disable-component-update --disable-sync';
const PAGES = ['/', '/currency/JPY'];
const BUDGET = { performance: 90, accessibility: 95, 'best-practices': 95, jsKb: 150 };

function run(cmd, args, env) {
  return new Promise((res, rej) => {
    execFile(cmd, args, { env: { ...process.env, ...env }, maxBuffer: 64 << 20 }, (err, stdout, stderr) =>
      err ? rej(new Error(`${cmd} failed: ${err.message}\n${stderr}`)) : res(stdout),
    );
  });
}

async function waitFor(url, ms = 20_000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try {
      const r = await fetch(url);
      if (r.ok) return;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`${url} did not answer`);
}

/** gzip size of a built file (what a compressing server sends); null when not in dist. */
function gzipOfDist(pathname) {
  const f = join(dist, decodeURIComponent(pathname));
  if (!f.startsWith(dist) || !existsSync(f)) return null;
  return gzipSync(readFileSync(f), { level: 9 }).length;
}

let preview = null;
let base = process.env.TRAVEL_WEB_URL?.replace(/\/$/, '');
if (!base) {
  if (!existsSync(join(dist, 'index.html'))) {
    console.error('dist/ is missing: run `npm run build` first (or set TRAVEL_WEB_URL).');
    process.exit(1);
  }
  const port = await new Promise((res) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const p = srv.address().port;
      srv.close(() => res(p));
    });
  });
  base = `http://127.0.0.1:${port}`;
  preview = spawn(process.execPath, [join(root, 'node_modules/vite/bin/vite.js'), 'preview', '--strictPort', '--port', String(port)], {
    cwd: root,
    stdio: 'ignore',
  });
  preview.on('exit', (code) => {
    if (code) console.error(`vite preview exited with ${code}`);
  });
  await waitFor(base + '/');
}
const origin = new URL(base).origin;
mkdirSync(outDir, { recursive: true });

const rows = [];
let failed = false;
try {
  for (const path of PAGES) {
    const name = path === '/' ? 'home' : path.replace(/\W+/g, '-').replace(/^-|-$/g, '');
    const out = join(outDir, `${name}.json`);
    await run(
      join(root, 'node_modules/.bin/lighthouse'),
      [
        base + path,
        '--quiet',
        '--output=json',
        `--output-path=${out}`,
        '--only-categories=performance,accessibility,best-practices',
        `--chrome-flags=${FLAGS}`,
        '--max-wait-for-load=30000',
      ],
      { CHROME_PATH: CHROME },
    );
    const lhr = JSON.parse(readFileSync(out, 'utf8'));
    const score = (k) => Math.round((lhr.categories[k]?.score ?? 0) * 100);
    const requests = lhr.audits['network-requests']?.details?.items ?? [];
    const scripts = requests.filter((r) => r.resourceType === 'Script');
    let jsGzip = 0;
    let jsTransfer = 0;
    for (const s of scripts) {
      const u = new URL(s.url);
      const gz = u.origin === origin ? gzipOfDist(u.pathname) : null;
      jsGzip += gz ?? s.transferSize ?? 0;
      jsTransfer += s.transferSize ?? 0;
    }
    const foreign = requests
      .map((r) => r.url)
      .filter((u) => /^https?:/.test(u) && new URL(u).origin !== origin);
    const row = {
      page: path,
      performance: score('performance'),
      accessibility: score('accessibility'),
      'best-practices': score('best-practices'),
      scripts: scripts.length,
      jsGzipKb: jsGzip / 1024,
      jsTransferKb: jsTransfer / 1024,
      requests: requests.length,
      foreign,
      fcp: lhr.audits['first-contentful-paint']?.displayValue,
      lcp: lhr.audits['largest-contentful-paint']?.displayValue,
      tbt: lhr.audits['total-blocking-time']?.displayValue,
      cls: lhr.audits['cumulative-layout-shift']?.displayValue,
      misses: [],
    };
    for (const k of ['performance', 'accessibility', 'best-practices']) {
      if (row[k] < BUDGET[k]) row.misses.push(`${k} ${row[k]} < ${BUDGET[k]}`);
    }
    if (row.jsGzipKb > BUDGET.jsKb) row.misses.push(`JS ${row.jsGzipKb.toFixed(1)} KB > ${BUDGET.jsKb} KB`);
    if (foreign.length) row.misses.push(`requests to other hosts: ${foreign.join(', ')}`);
    // what failed in accessibility / best practices, to fix it
    for (const k of ['accessibility', 'best-practices']) {
      for (const ref of lhr.categories[k]?.auditRefs ?? []) {
        const a = lhr.audits[ref.id];
        if (ref.weight > 0 && a && a.score !== null && a.score < 1) row.misses.push(`  (${k}: ${a.id} — ${a.title})`);
      }
    }
    if (row.misses.some((m) => !m.startsWith('  ('))) failed = true;
    rows.push(row);
  }
} finally {
  if (preview) preview.kill();
}

const pad = (s, n) => String(s).padEnd(n);
console.log(`\nLighthouse budgets — ${base}\n`);
console.log(
  pad('page', 16) + pad('perf', 6) + pad('a11y', 6) + pad('best', 6) + pad('JS gzip', 11) + pad('JS sent', 11) + pad('scripts', 9) + pad('reqs', 6) + pad('other hosts', 12) + 'FCP / LCP / TBT / CLS',
);
for (const r of rows) {
  console.log(
    pad(r.page, 16) +
      pad(r.performance, 6) +
      pad(r.accessibility, 6) +
      pad(r['best-practices'], 6) +
      pad(r.jsGzipKb.toFixed(1) + ' KB', 11) +
      pad(r.jsTransferKb.toFixed(1) + ' KB', 11) +
      pad(r.scripts, 9) +
      pad(r.requests, 6) +
      pad(r.foreign.length, 12) +
      `${r.fcp} / ${r.lcp} / ${r.tbt} / ${r.cls}`,
  );
}
console.log(
  `\nBudgets: performance ≥ ${BUDGET.performance}, accessibility ≥ ${BUDGET.accessibility}, best practices ≥ ${BUDGET['best-practices']}, first-screen JS ≤ ${BUDGET.jsKb} KB gzip, no other hosts.`,
);
console.log('JS gzip = gzip -9 of each script the page loaded (from dist/; the transfer size when not a dist file).');
for (const r of rows) for (const m of r.misses) console.log(`${m.startsWith('  (') ? '   note' : '  MISSED'} ${r.page}: ${m.trim()}`);
console.log(failed ? '\nFAIL: a budget was missed.' : '\nOK: every budget met.');
process.exit(failed ? 1 : 0);
