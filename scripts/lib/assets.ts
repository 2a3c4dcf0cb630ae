// The Worker's static assets directory (wrangler.toml [assets] directory) is assembled from two
// builds that must not wipe each other: the site (Astro empties its own outDir, dist/site) and the
// agent binary parts (agent/build.ts writes dist/downloads). syncAssets() mirrors both into
// dist/public in place, so a running `wrangler dev` sees a changed file, never a missing directory.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const DIST = path.join(ROOT, 'dist');
export const SITE_OUT = path.join(DIST, 'site');
export const DOWNLOADS = path.join(DIST, 'downloads');
export const ASSETS_DIR = path.join(DIST, 'public');

function listFiles(dir: string, base = dir): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...listFiles(p, base));
    else if (e.isFile()) out.push(path.relative(base, p));
  }
  return out;
}

function sameFile(a: string, b: string): boolean {
  try {
    const sa = fs.statSync(a);
    const sb = fs.statSync(b);
    if (sa.ino === sb.ino && sa.dev === sb.dev) return true;
    return sa.size === sb.size && sa.size < 4 * 1024 * 1024 && fs.readFileSync(a).equals(fs.readFileSync(b));
  } catch {
    return false;
  }
}

/** Hard link when possible (the binary parts are ~105 MB), else copy. */
function place(src: string, dst: string) {
  fs.mkdirSync(path.dirname(dst), { recursive: true });
  fs.rmSync(dst, { force: true });
  try {
    fs.linkSync(src, dst);
  } catch {
    fs.copyFileSync(src, dst);
  }
}

/** Files scripts/lib/platform-assets.ts writes into the assets directory after this mirror. */
const PLATFORM_FILE = (rel: string) => rel === '_headers' || rel.startsWith(`vendor${path.sep}`);

/**
 * Mirrors dist/site/** and dist/downloads/* (as downloads/*) into dist/public, leaving the
 * platform's files alone; returns files changed. Run preparePlatformAssets() after it: the
 * `_headers` CSP carries the hashes of the pages' inline scripts.
 */
export function syncAssets(dirs = { site: SITE_OUT, downloads: DOWNLOADS, assets: ASSETS_DIR }): number {
  const { site, downloads, assets: ASSETS } = dirs;
  const want = new Map<string, string>();
  for (const f of listFiles(site)) want.set(f, path.join(site, f));
  for (const f of listFiles(downloads)) want.set(path.join('downloads', f), path.join(downloads, f));
  fs.mkdirSync(ASSETS, { recursive: true });
  let changed = 0;
  for (const [rel, src] of want) {
    const dst = path.join(ASSETS, rel);
    if (sameFile(src, dst)) continue;
    place(src, dst);
    changed++;
  }
  for (const rel of listFiles(ASSETS)) {
    if (!want.has(rel) && !PLATFORM_FILE(rel)) {
      fs.rmSync(path.join(ASSETS, rel));
      changed++;
    }
  }
  return changed;
}
