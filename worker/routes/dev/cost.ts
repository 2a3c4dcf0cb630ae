// GET /api/v1/dev/cost?host=<id> | ?service=<name> | ?watch=1 (the host-down watchdog's shards,
// summed: they serve the whole fleet, so on the bench's throwaway stack, the bench's hosts) — the
// billing counters of one object, for
// bench:cost (durable-objects/cost-meter.ts). Not part of the API: it exists only when the
// COST_COUNTERS var is "on" outside production (the bench's local stack), is not in the OpenAPI
// document, and otherwise answers 404 like any unknown path. Read keys see their own tenant only.
import type { OpenAPIHono } from '@hono/zod-openapi';
import { authorize } from '../../auth/authorize.ts';
import { ApiError } from '../../errors.ts';
import { shardObjectName } from '../../../durable-objects/core/watch-period.ts';
import { HostWatchObject } from '../../../durable-objects/host-watch.ts';
import { hostObjectName, serviceObjectName, type AppEnv } from '../../types.ts';

type Counters = Record<string, number>;

/** The watchdog shards' counters, field by field (null when counting is off). */
async function watchCounters(env: Env): Promise<Counters | null> {
  const all = await Promise.all(Array.from({ length: HostWatchObject.options.shards }, (_, k) => env.HOST_WATCH.getByName(shardObjectName(k)).costCounters()));
  if (all.some((c) => c === null)) return null;
  const sum: Counters = {};
  for (const c of all as unknown as Counters[]) for (const [k, v] of Object.entries(c)) if (typeof v === 'number') sum[k] = (sum[k] ?? 0) + v;
  return sum;
}

export const costCountersEnabled = (env: { COST_COUNTERS?: string; ENVIRONMENT?: string }) => String(env.COST_COUNTERS) === 'on' && String(env.ENVIRONMENT) !== 'production';

export function registerDevCost(app: OpenAPIHono<AppEnv>) {
  app.get(
    '/api/v1/dev/cost',
    async (c, next) => {
      if (!costCountersEnabled(c.env)) throw new ApiError(404, 'not_found', 'no such route', '(path)');
      await next();
    },
    authorize('metrics:read'),
    async (c) => {
      const tenantId = c.get('tenantId');
      const host = c.req.query('host');
      const service = c.req.query('service');
      const watch = c.req.query('watch') !== undefined;
      if ([host, service].filter((x) => x !== undefined).length + (watch ? 1 : 0) !== 1) throw new ApiError(400, 'invalid_request', 'give exactly one of host, service and watch', 'host');
      const counters = host
        ? await c.env.HOSTS.getByName(hostObjectName(tenantId, host)).costCounters()
        : service
          ? await c.env.SERVICES.getByName(serviceObjectName(tenantId, service)).costCounters()
          : await watchCounters(c.env);
      return c.json({ counters });
    },
  );
}
