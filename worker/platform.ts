// What every route shares and no route declares itself: security headers, the JSON body cap, the
// API docs page, and the 413/415/429 answers those limits add to the OpenAPI document.
import type { OpenAPIHono } from '@hono/zod-openapi';
import { jsonBodyLimit } from './body.ts';
import { BODY_LIMITS, RATE_LIMITS } from './limits.ts';
import { registerApiDocs } from './routes/docs/index.ts';
import { errorDoc } from './routes/schemas.ts';
import { securityHeaders } from './security.ts';
import type { AppEnv } from './types.ts';

/** Before the routes: middleware runs in registration order. */
export function usePlatform(app: OpenAPIHono<AppEnv>) {
  app.use('*', securityHeaders);
  app.use('/api/*', jsonBodyLimit);
}

/** After the routes: the docs page, and the limits' and body answers on every documented operation. */
export function registerPlatform(app: OpenAPIHono<AppEnv>) {
  registerApiDocs(app);
  const q = RATE_LIMITS.query;
  for (const def of app.openAPIRegistry.definitions) {
    if (def.type !== 'route') continue;
    const route = def.route as typeof def.route & { 'x-permission'?: string };
    const responses = route.responses as Record<string, unknown>;
    if (route.request?.body && !responses[413]) responses[413] = errorDoc(`Body over ${BODY_LIMITS.jsonBytes} bytes`);
    if (route.request?.body && !responses[415]) responses[415] = errorDoc('Content-Type is not application/json, or missing');
    const guardedRead = route.method === 'get' && route['x-permission'] && !['public', 'session'].includes(route['x-permission']);
    if (guardedRead && !responses[429]) responses[429] = errorDoc(`Over ${q.limit} reads per minute per ${q.per}; see Retry-After`);
  }
}
