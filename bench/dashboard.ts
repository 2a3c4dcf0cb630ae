// npm run bench:dashboard -- [--loads N] [--updates N]
// Loads the host page in headless Chromium against the local stack (started here, site built
// fresh) and measures: time to the first chart with data (navigation start -> the chart's first
// draw with points, median of --loads fresh loads), the page's JavaScript (sum of gzip sizes),
// and live update latency (POST of a sample -> its point on the CPU chart, median of --updates).
// Last line: dashboard: first chart <ms> ms, js <KB> KB gzip, live update <ms> ms
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { launch, postSamples, sampleAt } from '../e2e/browser.ts';
import { startStack } from '../scripts/lib/stack.ts';
import { parseArgs, percentile } from './args.ts';

const HOST = 'bench-dash-1';
const log = (m: string) => console.error(`[bench] ${m}`);

async function main() {
  const args = parseArgs(process.argv.slice(2), { loads: 5, updates: 10 });
  // Always a fresh production build of the site: that is what is measured.
  const stack = await startStack({ dataDir: path.join(os.tmpdir(), `pulse-bench-dash-${process.pid}`), persistent: false, log, buildSite: true });
  const ctx = await launch();
  try {
    // The stack's seeded user, an ingest key, and one hour of samples every 5 s.
    const page = await ctx.newPage();
    const { email, password } = stack.credentials;
    const login = await page.request.post(`${stack.url}/api/v1/auth/login`, { data: { email, password }, headers: { origin: stack.url } });
    if (!login.ok()) throw new Error(`login: ${login.status()} ${await login.text()}`);
    const csrf = ((await login.json()) as { csrfToken: string }).csrfToken;
    const keyRes = await page.request.post(`${stack.url}/api/v1/keys`, { data: { name: 'bench', scope: 'ingest' }, headers: { 'x-csrf-token': csrf, origin: stack.url } });
    if (!keyRes.ok()) throw new Error(`key: ${keyRes.status()} ${await keyRes.text()}`);
    const key = ((await keyRes.json()) as { key: string }).key;
    const now = Math.floor(Date.now() / 5000) * 5000;
    const all = await Promise.all(Array.from({ length: 720 }, (_, i) => sampleAt(now - (720 - i) * 5000, 20 + 10 * Math.sin(i / 20))));
    for (let i = 0; i < all.length; i += 120) await postSamples(stack.url, key, HOST, all.slice(i, i + 120)); // under the 1 MiB body limit
    log(`seeded ${all.length} samples (1 h) for ${HOST}`);

    const url = `${stack.url}/app/host/?id=${HOST}&range=1h`;
    const firsts: number[] = [];
    let jsBytes = 0;
    for (let i = 0; i < args.loads; i++) {
      const scripts = new Map<string, Buffer>();
      const onResponse = async (r: import('playwright-core').Response) => {
        if (r.request().resourceType() === 'script') scripts.set(r.url(), await r.body().catch(() => Buffer.alloc(0)));
      };
      page.on('response', onResponse);
      await page.goto(url);
      await page.waitForFunction(() => performance.getEntriesByName('pulse:first-chart').length > 0, null, { timeout: 30_000 });
      firsts.push(await page.evaluate(() => performance.getEntriesByName('pulse:first-chart')[0]!.startTime));
      await page.locator('[data-history-loaded="all"]').waitFor({ timeout: 30_000 });
      page.off('response', onResponse);
      if (i === 0) jsBytes = [...scripts.values()].reduce((n, b) => n + gzipSync(b).byteLength, 0);
      // Where the time went: the page's scripts, the first history answer, the session check.
      const t = await page.evaluate(() => {
        const r = performance.getEntriesByType('resource') as PerformanceResourceTiming[];
        const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
        const js = r.filter((e) => e.initiatorType === 'script' || e.name.endsWith('.js'));
        const cpu = r.find((e) => e.name.includes('metric=cpu.usage.total'));
        return {
          html: nav.responseEnd,
          scripts: Math.max(0, ...js.map((e) => e.responseEnd)),
          cpuStart: cpu?.startTime ?? -1,
          cpuEnd: cpu?.responseEnd ?? -1,
        };
      });
      log(`load ${i + 1}: first chart ${firsts[i]!.toFixed(0)} ms (html ${t.html.toFixed(0)}, scripts loaded ${t.scripts.toFixed(0)}, cpu history ${t.cpuStart.toFixed(0)}-${t.cpuEnd.toFixed(0)} ms)`);
    }

    await page.locator('[data-live="open"]').waitFor({ timeout: 15_000 });
    const updates: number[] = [];
    for (let i = 0; i < args.updates; i++) {
      const ts = Math.floor(Date.now() / 1000) * 1000 + 1000;
      await new Promise((r) => setTimeout(r, Math.max(0, ts - Date.now()) + 50));
      // The page notes the wall-clock time at which the CPU chart drew this timestamp.
      // (A string, not a function: tsx would wrap a function's inner helpers in its __name.)
      const seen = page.evaluate(`new Promise((resolve) => {
        const el = document.querySelector('[data-chart="cpu-total"]');
        const obs = new MutationObserver(() => check());
        const check = () => { if (Number(el.dataset.lastTs) >= ${ts}) { obs.disconnect(); resolve(Date.now()); } };
        obs.observe(el, { attributes: true, attributeFilter: ['data-last-ts'] });
        check();
      })`) as Promise<number>;
      seen.catch(() => undefined);
      await page.evaluate(() => 0); // the observer is installed before the POST
      const t0 = Date.now();
      await postSamples(stack.url, key, HOST, [await sampleAt(ts, 30 + i)]);
      updates.push((await seen) - t0);
      log(`live update ${i + 1}: ${updates[i]} ms`);
    }
    firsts.sort((a, b) => a - b);
    updates.sort((a, b) => a - b);
    console.log(`dashboard: first chart ${Math.round(percentile(firsts, 50))} ms, js ${Math.round(jsBytes / 1024)} KB gzip, live update ${Math.round(percentile(updates, 50))} ms`);
  } finally {
    await ctx.close();
    await stack.stop();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(`[bench] failed: ${err instanceof Error ? err.stack : String(err)}`);
    process.exit(1);
  },
);
