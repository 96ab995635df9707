import { randomBytes } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { isLoopbackUrl } from '../loadtest/loopback';
import { bundleSize } from './bundle-size';
import { launchChromium } from './chromium';

/**
 * `npm run web-bench -- [--url URL] [--runs N] [--out FILE]`: the web client's weight and start-up
 * time, measured in Debian's Chromium against a running stack on this machine. A benchmark, not a
 * test: it prints figures and judges nothing. See docs/PERFORMANCE.md.
 */
const USAGE = `usage: npm run web-bench -- [options]
  --url URL       a gateway serving the web client (default http://127.0.0.1:3000; loopback only)
  --runs N        page loads per scenario, 1-50 (default 10)
  --web-root DIR  the built client (default dist/web)
  --out FILE      append the result as one JSON line
`;

/** What one page load measured, in ms from the start of navigation. */
interface LoadTiming {
  /** The first usable screen rendered (the app's `parley:interactive` mark). */
  interactive: number;
  domContentLoaded: number;
  load: number;
}

interface Summary {
  median: number;
  p90: number;
  min: number;
  max: number;
}

function fail(message: string): never {
  process.stderr.write(`web-bench: ${message}\n\n${USAGE}`);
  process.exit(2);
}

function summarize(values: number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) =>
    sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? NaN;
  const round = (n: number) => Math.round(n * 10) / 10;
  return {
    median: round(at(0.5)),
    p90: round(at(0.9)),
    min: round(sorted[0] ?? NaN),
    max: round(sorted[sorted.length - 1] ?? NaN),
  };
}

const TIMING_SCRIPT = `(() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const mark = performance.getEntriesByName('parley:interactive')[0];
  return {
    interactive: mark ? mark.startTime : -1,
    domContentLoaded: nav ? nav.domContentLoadedEventEnd : -1,
    load: nav ? nav.loadEventEnd : -1,
  };
})()`;

async function timing(page: Page): Promise<LoadTiming> {
  await page.waitForFunction("performance.getEntriesByName('parley:interactive').length > 0");
  // loadEventEnd is set after the load handlers ran.
  await page.waitForFunction("performance.getEntriesByType('navigation')[0]?.loadEventEnd > 0");
  return page.evaluate<LoadTiming>(TIMING_SCRIPT);
}

/** A first visit: a fresh profile (no HTTP cache, no service worker), up to the log-in form. */
async function firstVisit(browser: Browser, url: string): Promise<LoadTiming> {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(url);
    await page.getByRole('button', { name: 'Log in' }).waitFor();
    return await timing(page);
  } finally {
    await context.close();
  }
}

/**
 * A returning user: logged in once (the refresh cookie set, the service worker holding the shell),
 * then each reload resumes the session by cookie and renders the chat screen.
 */
async function returningUser(browser: Browser, url: string, runs: number): Promise<LoadTiming[]> {
  const username = `wb_${randomBytes(5).toString('hex')}`;
  const password = `bench ${randomBytes(8).toString('hex')}`;
  const registered = await fetch(new URL('/v1/auth/register', url), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      username,
      email: `${username}@example.org`,
      realName: 'Web Bench',
      password,
    }),
  });
  if (registered.status !== 201) throw new Error(`register: HTTP ${registered.status}`);
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(url);
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('button', { name: 'Log out' }).waitFor();
    await page.evaluate('navigator.serviceWorker.ready.then(() => true)');
    const timings: LoadTiming[] = [];
    for (let i = 0; i < runs; i++) {
      await page.reload();
      await page.getByRole('button', { name: 'Log out' }).waitFor();
      timings.push(await timing(page));
    }
    return timings;
  } finally {
    await context.close();
  }
}

function table(name: string, timings: LoadTiming[]): string[] {
  const rows: string[] = [];
  for (const key of ['interactive', 'domContentLoaded', 'load'] as const) {
    const s = summarize(timings.map((t) => t[key]));
    rows.push(
      `${name.padEnd(16)} ${key.padEnd(17)} ${String(s.median).padStart(8)} ${String(s.p90).padStart(8)} ${String(s.min).padStart(8)} ${String(s.max).padStart(8)}`,
    );
  }
  return rows;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      url: { type: 'string', default: 'http://127.0.0.1:3000' },
      runs: { type: 'string', default: '10' },
      'web-root': { type: 'string', default: join(__dirname, '..', '..', 'web') },
      out: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const url = values.url;
  if (!isLoopbackUrl(url)) fail('--url must name a loopback host');
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1 || runs > 50)
    fail('--runs must be an integer in [1, 50]');

  const bundle = bundleSize(values['web-root']);
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
  process.stdout.write(
    `bundle (${values['web-root']}): JavaScript ${kb(bundle.js.bytes)} (${kb(bundle.js.gzipBytes)} gzipped), ` +
      `CSS ${kb(bundle.css.bytes)} (${kb(bundle.css.gzipBytes)} gzipped), HTML ${kb(bundle.html.bytes)}\n`,
  );

  const browser = await launchChromium();
  try {
    const first: LoadTiming[] = [];
    for (let i = 0; i < runs; i++) first.push(await firstVisit(browser, url));
    const returning = await returningUser(browser, url, runs);
    process.stdout.write(
      `\n${runs} loads each, ms from navigation start (Chromium ${browser.version()}, ${url})\n` +
        `${'scenario'.padEnd(16)} ${'metric'.padEnd(17)} ${'median'.padStart(8)} ${'p90'.padStart(8)} ${'min'.padStart(8)} ${'max'.padStart(8)}\n` +
        [...table('first visit', first), ...table('returning user', returning)].join('\n') +
        '\n',
    );
    if (values.out) {
      const result = {
        benchmark: 'web',
        at: new Date().toISOString(),
        url,
        chromium: browser.version(),
        runs,
        bundle,
        firstVisit: {
          interactive: summarize(first.map((t) => t.interactive)),
          load: summarize(first.map((t) => t.load)),
        },
        returningUser: {
          interactive: summarize(returning.map((t) => t.interactive)),
          load: summarize(returning.map((t) => t.load)),
        },
      };
      appendFileSync(values.out, `${JSON.stringify(result)}\n`);
    }
  } finally {
    await browser.close();
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`web-bench: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
