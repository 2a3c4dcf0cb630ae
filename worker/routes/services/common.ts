// Shared by the service query routes: the path parameter, the existence check (in Postgres, so
// probing names never creates an object), and merging rollup rows' sketches into points.
import { z } from '@hono/zod-openapi';
import { and, eq } from 'drizzle-orm';
import { ServiceNameParam, type SignalPoint } from '../../../protocol/apm.ts';
import { LatencySketch } from '../../../durable-objects/core/sketch.ts';
import { httpDb } from '../../db/client.ts';
import { services } from '../../db/schema.ts';
import { ApiError } from '../../errors.ts';
import { serviceObjectName } from '../../types.ts';

export const ServiceParams = z.object({
  service: ServiceNameParam.openapi({ param: { name: 'service', in: 'path' }, description: 'the service.name resource attribute', example: 'checkout' }),
});

/** The service's object, once Postgres confirms the organization has the service. */
export async function serviceStub(env: Env, tenantId: string, service: string) {
  const known = await httpDb(env).select({ name: services.name }).from(services).where(and(eq(services.tenantId, tenantId), eq(services.name, service))).limit(1);
  if (known.length === 0) throw new ApiError(404, 'not_found', `no service "${service}" in this organization`, 'service');
  return env.SERVICES.getByName(serviceObjectName(tenantId, service));
}

export function fromBase64(s: string): Uint8Array {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Counts and a sketch merged from rollup rows and the object's unflushed tail. */
export class MergedBucket {
  requests = 0;
  errors = 0;
  readonly sketch = new LatencySketch();

  add(requests: number, errors: number, sketch: Uint8Array) {
    this.requests += requests;
    this.errors += errors;
    this.sketch.merge(LatencySketch.fromBytes(sketch));
  }

  quantiles(): Pick<SignalPoint, 'p50' | 'p95' | 'p99'> {
    if (this.sketch.count === 0) return { p50: null, p95: null, p99: null };
    return { p50: this.sketch.quantile(0.5), p95: this.sketch.quantile(0.95), p99: this.sketch.quantile(0.99) };
  }
}

/** Range defaults and checks shared by signals and routes: the last hour, at most 30 days back. */
export function resolveRange(q: { from?: number; to?: number }, now: number): { from: number; to: number } {
  const to = q.to ?? now;
  const from = q.from ?? to - 3600_000;
  if (from >= to) throw new ApiError(400, 'invalid_request', 'from must be before to', 'from');
  if (from < now - 31 * 86_400_000) throw new ApiError(400, 'invalid_request', 'from is older than the 30 days kept', 'from');
  return { from, to };
}
