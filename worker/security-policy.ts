// The security headers of every response (API, site, static files), runtime-neutral so the build
// can write the same ones into the static assets' `_headers` (scripts/lib/platform-assets.ts).
// The Content-Security-Policy allows only our own origin: scripts and styles from it (inline
// styles too: Astro inlines its CSS and React renders style attributes), images from it or data:
// URLs, fetch and WebSocket to it, and no framing. Inline <script>s of our own pages are allowed
// by hash. Reasons for each choice: docs/limits.md.
import { Hono, type Context } from 'hono';
import { secureHeaders } from 'hono/secure-headers';

/** WebSocket to the same origin: CSP3 browsers match it with 'self', older Safari needs it named. */
const sameOriginSocket = (c: Context) => {
  const url = new URL(c.req.url);
  return `${url.protocol === 'https:' ? 'wss:' : 'ws:'}//${url.host}`;
};

export const baseSecurityHeaders = secureHeaders({
  contentSecurityPolicy: {
    defaultSrc: ["'self'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'", "'unsafe-inline'"],
    imgSrc: ["'self'", 'data:'],
    fontSrc: ["'self'", 'data:'],
    connectSrc: ["'self'", sameOriginSocket],
    objectSrc: ["'none'"],
    baseUri: ["'self'"],
    formAction: ["'self'"],
    frameAncestors: ["'none'"],
  },
  strictTransportSecurity: 'max-age=31536000; includeSubDomains',
  xFrameOptions: 'DENY',
  // Not no-referrer: under it browsers send `Origin: null` on same-origin POSTs, which the CSRF
  // check (worker/auth/authorize.ts) would refuse.
  referrerPolicy: 'strict-origin-when-cross-origin',
  permissionsPolicy: { camera: [], microphone: [], geolocation: [], payment: [] },
});

/** Adds inline script hashes ('sha256-…') to a policy's script-src. */
export const withScriptHashes = (csp: string, hashes: readonly string[]) =>
  hashes.length ? csp.replace("script-src 'self'", `script-src 'self' ${hashes.join(' ')}`) : csp;

/** The CSP hashes of a page's inline scripts (those without src), as a browser computes them. */
export async function inlineScriptHashes(html: string): Promise<string[]> {
  const out: string[] = [];
  for (const m of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)) {
    if (/\bsrc\s*=/i.test(m[1]!) || !m[2]) continue;
    const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(m[2]));
    out.push(`'sha256-${btoa(String.fromCharCode(...new Uint8Array(digest)))}'`);
  }
  return [...new Set(out)];
}

/**
 * The same headers as a list, for static files served without running the worker. Runs the
 * middleware itself, so the two cannot drift; the WebSocket is left to 'self' since the deployed
 * host is not known at build time.
 */
export async function staticSecurityHeaders(scriptHashes: readonly string[]): Promise<[string, string][]> {
  const app = new Hono();
  app.use(baseSecurityHeaders);
  app.get('/', (c) => c.body(null, 204));
  const res = await app.request('https://static.invalid/');
  return [...res.headers].map(([k, v]) => [k, k === 'content-security-policy' ? withScriptHashes(v.replace(' wss://static.invalid', ''), scriptHashes) : v]);
}
