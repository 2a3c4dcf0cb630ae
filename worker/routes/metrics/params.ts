import { z } from '@hono/zod-openapi';
import { isKnownMetric } from '../../../protocol/metrics.ts';

export const HostIdParam = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9._-]+$/, 'is not a valid host id')
  .openapi({ description: 'Host id as the agent reports it', example: 'web-1' });

export const MetricParam = z
  .string()
  .refine(isKnownMetric, 'is not a known metric (see GET /api/v1/metrics/catalog)')
  .openapi({ example: 'cpu.usage.total' });

/** Milliseconds since the epoch or an ISO 8601 date. */
export const TimeParam = z
  .string()
  .transform((v, ctx) => {
    const t = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
    if (!Number.isFinite(t)) {
      ctx.addIssue({ code: 'custom', message: 'must be milliseconds since the epoch or an ISO 8601 date' });
      return z.NEVER;
    }
    return t;
  })
  .openapi({ type: 'string', example: '2026-11-22T00:00:00Z' });
