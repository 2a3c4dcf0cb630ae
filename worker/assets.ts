// Static files (the site, downloads) through the worker: requests that reach the app (the paths
// wrangler.toml's run_worker_first lists) and match no route are looked up in ASSETS here and get
// the same security headers as the API (worker/security.ts). Unknown API paths stay JSON 404s.
import type { Context } from 'hono';
import { allowInlineScripts } from './security.ts';
import { inlineScriptHashes } from './security-policy.ts';
import type { AppEnv } from './types.ts';

const notFoundJson = (c: Context) =>
  c.json({ error: { code: 'not_found', message: `no route for ${c.req.method} ${new URL(c.req.url).pathname}` } }, 404);

/** Per isolate: a page's inline script hashes by its ETag (pages change only on deploy). */
const hashCache = new Map<string, string[]>();

/** The app's notFound handler: an asset for GET/HEAD outside /api/ and /downloads/, else the JSON 404. */
export async function notFoundOrAsset(c: Context<AppEnv>): Promise<Response> {
  const url = new URL(c.req.url);
  // The raw agent parts stay private: /download/agent/… streams them joined.
  if ((c.req.method !== 'GET' && c.req.method !== 'HEAD') || /^\/(api|downloads?)(\/|$)/.test(url.pathname)) return notFoundJson(c);
  // A page is always fetched whole: a 304 would carry no body to hash, and its CSP would replace
  // the cached page's (pages are small; scripts and styles keep their conditional requests).
  const headers = new Headers(c.req.raw.headers);
  if (!/\.[a-z0-9]+$/i.test(url.pathname) || url.pathname.endsWith('.html')) {
    headers.delete('if-none-match');
    headers.delete('if-modified-since');
  }
  const res = await c.env.ASSETS.fetch(new Request(url, { method: c.req.method, headers }));
  const page = (res.headers.get('content-type') ?? '').startsWith('text/html');
  if (res.status === 404 && !page) return notFoundJson(c); // no file and no site 404 page
  if (!page || (res.status !== 200 && res.status !== 404) || c.req.method === 'HEAD') return res;
  // A page (or the site's 404 page): allow exactly its own inline scripts (Astro's island loader) by hash.
  const html = await res.text();
  const key = `${url.pathname} ${res.headers.get('etag') ?? html.length}`;
  let hashes = hashCache.get(key);
  if (!hashes) {
    hashes = await inlineScriptHashes(html);
    if (hashCache.size > 500) hashCache.clear();
    hashCache.set(key, hashes);
  }
  allowInlineScripts(c, hashes);
  return new Response(html, res);
}
