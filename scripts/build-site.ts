// `npm run build`: builds the Astro site (site/) and assembles the Worker's static assets
// (dist/public = the site + the agent downloads, scripts/lib/assets.ts, + the platform's Swagger UI
// and _headers, scripts/lib/platform-assets.ts). `--watch` rebuilds on
// every change under site/src and protocol/ (used by `npm run dev`).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ASSETS_DIR, syncAssets } from './lib/assets.ts';
import { preparePlatformAssets } from './lib/platform-assets.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Runs `astro build` with the project's Node 22 (Astro refuses older ones) and syncs dist/public. */
export function buildSite(log: (m: string) => void = (m) => console.log(`[site] ${m}`)): Promise<void> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(ROOT, 'node_modules/.bin/node'), [path.join(ROOT, 'node_modules/astro/bin/astro.mjs'), 'build', '--root', 'site', '--silent'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ASTRO_TELEMETRY_DISABLED: '1' },
    });
    let out = '';
    child.stdout!.on('data', (d) => (out += String(d)));
    child.stderr!.on('data', (d) => (out += String(d)));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`astro build failed (exit ${code}):\n${out.slice(-4000)}`));
      const changed = syncAssets();
      // The static CSP (_headers) must list the new pages' inline script hashes.
      preparePlatformAssets(ASSETS_DIR).then(() => {
        log(`site built in ${((Date.now() - t0) / 1000).toFixed(1)} s (${changed} asset files changed)`);
        resolve();
      }, reject);
    });
  });
}

/** Rebuilds after changes (debounced); returns a stop function. */
export function watchSite(log: (m: string) => void): () => void {
  let timer: NodeJS.Timeout | null = null;
  let running = false;
  let again = false;
  const run = async () => {
    if (running) return void (again = true);
    running = true;
    try {
      await buildSite(log);
    } catch (err) {
      log(String((err as Error).message));
    }
    running = false;
    if (again) {
      again = false;
      void run();
    }
  };
  const watchers = ['site/src', 'protocol'].map((d) =>
    fs.watch(path.join(ROOT, d), { recursive: true }, () => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(run, 250);
    }),
  );
  return () => watchers.forEach((w) => w.close());
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  buildSite().catch((err) => {
    console.error(String((err as Error).message));
    process.exit(1);
  });
}
