// Security headers on every response of the API and the site (hono's secureHeaders), mounted once
// in worker/app.ts. The Content-Security-Policy allows only our own origin: scripts and styles
// from it (inline styles too: Astro inlines its CSS and React renders style attributes),
// images from it or data: URLs, fetch and WebSocket to it, and no framing.
// Inline <script>s of our own static pages are allowed by hash (worker/assets.ts adds them).
import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import { secureHeaders } from 'hono/secure-headers';
import type { AppEnv } from './types.ts';

/** WebSocket to the same origin: CSP3 browsers match it with 'self', older Safari needs it named. */
const sameOriginSocket = (c: Context) => {
  const url = new URL(c.req.url);
  return `${url.protocol === 'https:' ? 'wss:' : 'ws:'}//${url.host}`;
};

const headers = secureHeaders({
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

/** Inline script hashes ('sha256-…') a handler allows for its own response. */
const inlineScripts = new WeakMap<Context, string[]>();
export function allowInlineScripts(c: Context, hashes: string[]) {
  if (hashes.length) inlineScripts.set(c, hashes);
}

/**
 * A response from a binding (ASSETS, a Durable Object) has immutable headers; copy it so the
 * headers can be set. A WebSocket upgrade keeps its socket.
 */
function mutable(res: Response): Response {
  try {
    res.headers.set('x-content-type-options', 'nosniff');
    return res;
  } catch {
    if (res.status === 101) return new Response(null, { status: 101, statusText: res.statusText, headers: res.headers, webSocket: res.webSocket });
    return new Response(res.body, res);
  }
}

export const securityHeaders = createMiddleware<AppEnv>(async (c, next) => {
  await headers(c, async () => {
    await next();
    const res = mutable(c.res);
    if (res !== c.res) {
      c.res = undefined;
      c.res = res;
    }
  });
  const hashes = inlineScripts.get(c);
  const csp = c.res.headers.get('content-security-policy');
  if (hashes && csp) c.res.headers.set('content-security-policy', csp.replace("script-src 'self'", `script-src 'self' ${hashes.join(' ')}`));
});
