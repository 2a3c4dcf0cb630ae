// Security headers on every response of the app (policy: worker/security-policy.ts), mounted once
// in worker/platform.ts, including static files the app fetches from ASSETS (worker/assets.ts)
// and WebSocket upgrades from Durable Objects.
import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import { baseSecurityHeaders, withScriptHashes } from './security-policy.ts';
import type { AppEnv } from './types.ts';

/** Inline script hashes a handler allows for its own response (a page of the site). */
const inlineScripts = new WeakMap<Context, string[]>();
export function allowInlineScripts(c: Context, hashes: string[]) {
  if (hashes.length) inlineScripts.set(c, hashes);
}

/**
 * A response from a binding (ASSETS, a Durable Object) has immutable headers; copy it so the
 * headers can be set (trying is the only test). A WebSocket upgrade keeps its socket.
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
  await baseSecurityHeaders(c, async () => {
    await next();
    const res = mutable(c.res);
    if (res !== c.res) {
      c.res = undefined;
      c.res = res;
    }
  });
  const hashes = inlineScripts.get(c);
  const csp = c.res.headers.get('content-security-policy');
  if (hashes && csp) c.res.headers.set('content-security-policy', withScriptHashes(csp, hashes));
});
