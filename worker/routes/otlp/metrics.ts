// POST /v1/metrics — OTLP/HTTP metrics (protobuf or JSON, gzip or not). HTTP server duration
// histograms give a service without server spans its golden signals; every other metric is
// stored as the service's custom series (worker/otlp/metric-points.ts, docs/apm.md "Metrics").
import type { Hono } from 'hono';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { decodeMetrics } from '../../../protocol/otlp/index.ts';
import { authorize, guard } from '../../auth/authorize.ts';
import { RATE_LIMITS } from '../../limits.ts';
import { aggregateMetrics } from '../../otlp/metric-points.ts';
import { bodyDigest, exportResponse, readOtlpBody } from '../../otlp/http.ts';
import { enforceRateLimit } from '../../ratelimit.ts';
import { noteService } from '../../registry.ts';
import { serviceObjectName, type AppEnv } from '../../types.ts';
import { otlpDoc } from './doc.ts';

export function documentMetrics(app: OpenAPIHono<AppEnv>) {
  otlpDoc(app, {
    path: '/v1/metrics',
    summary: 'OTLP/HTTP metrics: HTTP server duration histograms become golden signals, other metrics custom series',
    request: 'opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest',
    response: 'ExportMetricsServiceResponse',
    permission: guard('metrics:ingest'),
    rate: RATE_LIMITS.dataPoints,
    records: 'data points',
  });
}

export function registerMetrics(otlp: Hono<AppEnv>) {
  otlp.post('/v1/metrics', authorize('metrics:ingest'), async (c) => {
    const { body, encoding } = await readOtlpBody(c);
    const request = decodeMetrics(body, encoding); // OtlpDecodeError -> 400 Status (worker/otlp/http.ts)
    const tenantId = c.get('tenantId');
    const now = Date.now();
    const agg = aggregateMetrics(request, now);
    const rule = RATE_LIMITS.dataPoints;
    if (agg.points > 0) await enforceRateLimit(c.env, rule, tenantId, Math.ceil(agg.points / rule.perCount));
    let rejected = agg.rejected;
    let problem = agg.problem;
    if (agg.services.size) {
      const id = await bodyDigest(body);
      const batches = [...agg.services.values()];
      const results = await Promise.all(
        batches.map((batch) => c.env.SERVICES.getByName(serviceObjectName(tenantId, batch.service)).ingestMetrics(tenantId, { ...batch, batchId: id })),
      );
      results.forEach((r, i) => {
        rejected += r.rejected;
        if (!problem && r.problem) problem = `service "${batches[i]!.service}": ${r.problem}`;
      });
      await Promise.all(batches.map((batch) => noteService(c.env, c.executionCtx, tenantId, batch.service, batch.hosts, now)));
    }
    return exportResponse('metrics', encoding, rejected, rejected ? `${rejected} data points rejected; first: ${problem}` : '');
  });
}
