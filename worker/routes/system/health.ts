// GET /api/v1/health — the worker, an object round trip and Postgres; 503 names the failing part.
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { publicRoute } from '../../auth/authorize.ts';
import { sql } from 'drizzle-orm';
import { withDb } from '../../db/client.ts';
import type { AppEnv } from '../../types.ts';

const Check = z.object({ ok: z.boolean(), ms: z.number(), error: z.string().optional() });
const Health = z.object({ status: z.enum(['ok', 'degraded']), checks: z.object({ worker: Check, durableObject: Check, postgres: Check }) });

const route = createRoute({
  ...publicRoute,
  method: 'get',
  path: '/api/v1/health',
  tags: ['system'],
  summary: 'Health of the worker, a Durable Object round trip and Postgres',
  responses: {
    200: { description: 'All parts healthy', content: { 'application/json': { schema: Health } } },
    503: { description: 'A part is failing; see checks', content: { 'application/json': { schema: Health } } },
  },
});

const TIMEOUT_MS = 3000;

async function check(fn: () => Promise<unknown>): Promise<z.infer<typeof Check>> {
  const t0 = Date.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      fn(),
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${TIMEOUT_MS} ms`)), TIMEOUT_MS))),
    ]);
    return { ok: true, ms: Date.now() - t0 };
  } catch (err) {
    return { ok: false, ms: Date.now() - t0, error: err instanceof Error ? err.message : String(err) };
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}

export function registerHealth(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const [durableObject, postgres] = await Promise.all([
      check(async () => {
        if ((await c.env.HOSTS.getByName('health:probe').ping()) !== 'pong') throw new Error('unexpected reply');
      }),
      check(() => withDb(c.env, (db) => db.execute(sql`select 1`))),
    ]);
    const checks = { worker: { ok: true, ms: 0 }, durableObject, postgres };
    const ok = durableObject.ok && postgres.ok;
    return c.json({ status: ok ? ('ok' as const) : ('degraded' as const), checks }, ok ? 200 : 503);
  });
}
