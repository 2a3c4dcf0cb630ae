// POST /v1/traces — OTLP/HTTP traces (protobuf or JSON, gzip or not) from any OpenTelemetry SDK
// pointed at the service's base URL with an ingest key (OTEL_EXPORTER_OTLP_HEADERS). Server spans
// become per-route golden signals in the service's object (worker/otlp/server-spans.ts); a sample of
// all spans is stored, as the objects decide (worker/otlp/span-sampling.ts, docs/traces.md).
import type { Hono } from 'hono';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { decodeTraces } from '../../../protocol/otlp/index.ts';
import { authorize, guard } from '../../auth/authorize.ts';
import { RATE_LIMITS } from '../../limits.ts';
import { bodyDigest, exportResponse, readOtlpBody } from '../../otlp/http.ts';
import { aggregateTraces, SIGNAL_ATTRIBUTES } from '../../otlp/server-spans.ts';
import { spanRow } from '../../otlp/span-rows.ts';
import { planSampling, selectSpans } from '../../otlp/span-sampling.ts';
import { queueSpans } from '../../otlp/span-writer.ts';
import { APM_LIMITS } from '../../../protocol/apm.ts';
import type { SamplingDecision } from '../../../protocol/traces.ts';
import { enforceRateLimit } from '../../ratelimit.ts';
import { noteService } from '../../registry.ts';
import { tenantAlertConfig } from '../../alert-config-cache.ts';
import { thresholdsFor } from '../../../durable-objects/core/slo.ts';
import { serviceObjectName, type AppEnv } from '../../types.ts';
import { otlpDoc } from './doc.ts';

export function documentTraces(app: OpenAPIHono<AppEnv>) {
  otlpDoc(app, {
    path: '/v1/traces',
    summary: 'OTLP/HTTP traces: server spans become golden signals per service and route',
    request: 'opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest',
    response: 'ExportTraceServiceResponse',
    permission: guard('metrics:ingest'),
  });
}

export function registerTraces(otlp: Hono<AppEnv>) {
  otlp.post('/v1/traces', authorize('metrics:ingest'), async (c) => {
    const { body, encoding } = await readOtlpBody(c);
    // Every span's structure is checked; only the attributes the signals read are made now, the
    // rest for the spans stored (spanRow). OtlpDecodeError -> 400 Status (worker/otlp/http.ts).
    const request = decodeTraces(body, encoding, { onlyAttributes: SIGNAL_ATTRIBUTES });
    const tenantId = c.get('tenantId');
    const now = Date.now();
    // SLO latency thresholds are counted here, per span (docs/slo.md): the config says which.
    const config = await tenantAlertConfig(c.env, c.executionCtx, tenantId, now);
    const agg = aggregateTraces(request, now, (service) => thresholdsFor(config?.slos, service));
    if (agg.spans > 0) await enforceRateLimit(c.env, RATE_LIMITS.spans, tenantId, Math.ceil(agg.spans / RATE_LIMITS.spans.perCount));
    const plan = planSampling(agg.accepted);
    const decisions = new Map<string, SamplingDecision>();
    if (agg.services.size) {
      const id = await bodyDigest(body);
      const offer = config ? { version: config.version } : undefined;
      await Promise.all(
        [...agg.services.values()].map(async (batch) => {
          const stub = c.env.SERVICES.getByName(serviceObjectName(tenantId, batch.service));
          const sampling = plan.services.get(batch.service)?.sampling;
          let r = await stub.ingest(tenantId, { ...batch, batchId: id, sampling }, offer);
          if (r.needConfig && config) r = await stub.ingest(tenantId, { ...batch, batchId: id, sampling }, { version: config.version, config });
          if (r.needThresholds) {
            // The object knows SLOs this isolate's config does not yet: count its thresholds too.
            const need = r.needThresholds;
            const again = aggregateTraces(request, now, (s) => (s === batch.service ? need : [])).services.get(batch.service);
            if (again) r = await stub.ingest(tenantId, { ...again, batchId: id, sampling });
            if (r.needThresholds) throw new Error(`service object still needs thresholds ${need.join(',')}`);
          }
          if (r.sampling) decisions.set(batch.service, r.sampling);
        }),
      );
      await Promise.all([...agg.services.values()].map((batch) => noteService(c.env, c.executionCtx, tenantId, batch.service, batch.hosts, now)));
    }
    // Services with spans but no requests in this body (workers, batch jobs) ask their object too,
    // up to the per-request service cap; spans of services past it are counted, not stored.
    const others = [...plan.services.entries()].filter(([service]) => !agg.services.has(service)).slice(0, Math.max(0, APM_LIMITS.maxServicesPerRequest - agg.services.size));
    await Promise.all(
      others.map(async ([service, s]) => {
        decisions.set(service, await c.env.SERVICES.getByName(serviceObjectName(tenantId, service)).sampleSpans(tenantId, service, s.sampling));
      }),
    );
    queueSpans(c.env, c.executionCtx, tenantId, selectSpans(plan, decisions).map((k) => spanRow(k.span, k.kept)));
    return exportResponse('traces', encoding, agg.rejected, agg.rejected ? `${agg.rejected} spans rejected; first: ${agg.problem}` : '');
  });
}
