// POST /v1/logs — OTLP/HTTP logs (protobuf or JSON, gzip or not) from any OpenTelemetry SDK or
// Collector, with the same rules and answers as /v1/traces (worker/otlp/http.ts). Records become
// stored, searchable log lines (protocol/log-lines.ts, docs/logs.md).
import type { Hono } from 'hono';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { UNKNOWN_SERVICE } from '../../../protocol/apm.ts';
import { capLine, checkTime, otlpLine, type StoredLine } from '../../../protocol/log-lines.ts';
import { LOG_LIMITS } from '../../../protocol/logs.ts';
import { decodeLogs, validateLogRecord, type LogsRequest } from '../../../protocol/otlp/index.ts';
import { authorize, guard } from '../../auth/authorize.ts';
import { ApiError } from '../../errors.ts';
import { RATE_LIMITS } from '../../limits.ts';
import { storeLines } from '../../logs/store.ts';
import { exportResponse, readOtlpBody } from '../../otlp/http.ts';
import type { AppEnv } from '../../types.ts';
import { otlpDoc } from './doc.ts';

export function documentLogs(app: OpenAPIHono<AppEnv>) {
  otlpDoc(app, {
    path: '/v1/logs',
    summary: 'OTLP/HTTP logs: records become stored, searchable log lines',
    request: 'opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest',
    response: 'ExportLogsServiceResponse',
    permission: guard('metrics:ingest'),
    rate: RATE_LIMITS.logLines,
    records: 'log lines',
  });
}

/** The request's usable records as lines; the rest counted, the first problem named. */
export function otlpLines(req: LogsRequest, now: number): { lines: StoredLine[]; rejected: number; problem: string } {
  const lines: StoredLine[] = [];
  let rejected = 0;
  let problem = '';
  req.resourceLogs.forEach((rl, ri) => {
    const name = rl.resource.attributes['service.name'];
    const service = typeof name === 'string' && name ? name : UNKNOWN_SERVICE;
    rl.scopeLogs.forEach((sl, si) =>
      sl.logRecords.forEach((r, li) => {
        const line = otlpLine(r, service, rl.resource.attributes);
        const why = validateLogRecord(r) ?? checkTime(line.tsMicros, now);
        if (why) {
          rejected++;
          problem ||= `resourceLogs[${ri}].scopeLogs[${si}].logRecords[${li}]: ${why}`;
        } else lines.push(capLine(line));
      }),
    );
  });
  return { lines, rejected, problem };
}

export function registerLogs(otlp: Hono<AppEnv>) {
  otlp.post('/v1/logs', authorize('metrics:ingest'), async (c) => {
    const { body, encoding } = await readOtlpBody(c);
    const request = decodeLogs(body, encoding); // OtlpDecodeError -> 400 Status (worker/otlp/http.ts)
    const now = Date.now();
    const { lines, rejected, problem } = otlpLines(request, now);
    if (lines.length > LOG_LIMITS.maxLinesPerRequest)
      throw new ApiError(413, 'body_too_large', `${lines.length} log records; at most ${LOG_LIMITS.maxLinesPerRequest} per request`, '(body)');
    await storeLines(c.env, c.executionCtx, c.get('tenantId'), lines, now);
    return exportResponse('logs', encoding, rejected, rejected ? `${rejected} log records rejected; first: ${problem}` : '');
  });
}
