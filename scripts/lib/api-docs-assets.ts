// Swagger UI for GET /api/docs, served from our own origin (the CSP allows no third-party CDN):
// its bundle and stylesheet are copied from swagger-ui-dist into the Worker's static assets under
// vendor/swagger-ui/, rather than bundled into the worker (~460 KB gzipped, more than the rest
// of the worker). Run before `wrangler dev`, the tests and deploy.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const API_DOCS_VENDOR = 'vendor/swagger-ui';
const FILES = ['swagger-ui-bundle.js', 'swagger-ui.css', 'LICENSE'];

/** The [assets] directory of wrangler.toml, absolute. */
export function assetsDirectory(): string {
  const toml = fs.readFileSync(path.join(ROOT, 'wrangler.toml'), 'utf8');
  const m = /^\[assets\][^[]*?^directory\s*=\s*"([^"]+)"/m.exec(toml);
  if (!m) throw new Error('wrangler.toml has no [assets] directory');
  return path.resolve(ROOT, m[1]!);
}

/** Copies the files into `<assetsDir>/vendor/swagger-ui/` when missing or changed; returns how many. */
export function copyApiDocsAssets(assetsDir = assetsDirectory()): number {
  const src = path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
  const dst = path.join(assetsDir, API_DOCS_VENDOR);
  fs.mkdirSync(dst, { recursive: true });
  let copied = 0;
  for (const f of FILES) {
    const from = path.join(src, f);
    const to = path.join(dst, f);
    if (fs.existsSync(to) && fs.statSync(to).size === fs.statSync(from).size && fs.readFileSync(to).equals(fs.readFileSync(from))) continue;
    fs.copyFileSync(from, to);
    copied++;
  }
  return copied;
}
