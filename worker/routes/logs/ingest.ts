// POST /api/v1/logs — log lines from shippers' HTTP outputs (Fluent Bit `http`, Vector `http`,
// Logstash `http`): newline-delimited JSON, a JSON array or one object, gzip or not, with an
// ingest key. Field mapping: protocol/log-shippers.ts, docs/logs.md. Bad records are counted and
// named in the answer; the rest are stored before it (durable when acknowledged).
import { z, type OpenAPIHono } from '@hono/zod-openapi';
import { capLine, checkTime, type StoredLine } from '../../../protocol/log-lines.ts';
import { shipperLine, splitBody } from '../../../protocol/log-shippers.ts';
import { LOG_LIMITS } from '../../../protocol/logs.ts';
import { APM_LIMITS, UNKNOWN_SERVICE } from '../../../protocol/apm.ts';
import { authorize, guard } from '../../auth/authorize.ts';
import { readBody } from '../../body.ts';
import { ApiError } from '../../errors.ts';
import { BODY_LIMITS, RATE_LIMITS } from '../../limits.ts';
import { storeLines } from '../../logs/store.ts';
import type { AppEnv } from '../../types.ts';
import { errorDoc } from '../schemas.ts';

const MEDIA = /^application\/(json|x-ndjson|ndjson|jsonl|jsonlines|json-lines|x-jsonlines)\s*(;|$)/i;
const MAX_ERRORS = 10;

export const LogIngestResponse = z.object({
  accepted: z.number().int(),
  rejected: z.number().int(),
  errors: z.array(z.object({ line: z.number().int().describe('1-based line (NDJSON) or array position'), message: z.string() })).describe(`the first ${MAX_ERRORS} rejected records and why`),
});

const record = { type: 'object' as const, additionalProperties: true, description: 'timestamp|time|@timestamp|date, level|severity, message|msg|log, service, trace_id, span_id; the rest become attributes' };

export function registerLogIngest(app: OpenAPIHono<AppEnv>) {
  app.openAPIRegistry.registerPath({
    method: 'post',
    path: '/api/v1/logs',
    tags: ['logs'],
    summary: "Send log lines from a log shipper's HTTP output (JSON lines or a JSON array)",
    description: `Newline-delimited JSON (\`application/x-ndjson\` or \`application/json\`), a JSON array, or one object; \`Content-Encoding: gzip\` accepted; at most ${BODY_LIMITS.logBytes} bytes after decompression and ${LOG_LIMITS.maxLinesPerRequest} lines. \`?service=\` names the service of lines without one. Field mapping and shipper configs: docs/logs.md. Requires an ingest key.`,
    security: guard('metrics:ingest').security,
    'x-permission': 'metrics:ingest',
    request: {
      query: z.object({ service: z.string().max(LOG_LIMITS.maxServiceLength).optional() }),
      body: { required: true, content: { 'application/json': { schema: { oneOf: [record, { type: 'array', items: record }] } }, 'application/x-ndjson': { schema: { type: 'string', description: 'one JSON object per line' } } } },
    },
    responses: {
      200: { description: 'Stored (all, or all but the rejected records)', content: { 'application/json': { schema: LogIngestResponse } } },
      400: errorDoc('No record could be read; the error names the first problem'),
      401: errorDoc('Missing or invalid key'),
      403: errorDoc('The key or role lacks metrics:ingest'),
      413: errorDoc(`Body over ${BODY_LIMITS.logBytes} bytes (after decompression), or over ${LOG_LIMITS.maxLinesPerRequest} lines`),
      415: errorDoc('Not JSON or NDJSON, or a Content-Encoding other than gzip'),
      429: errorDoc(`Over ${(RATE_LIMITS.logLines.limit * RATE_LIMITS.logLines.perCount) / RATE_LIMITS.logLines.period} log lines/s for the organization; see Retry-After`),
    },
  });

  app.post('/api/v1/logs', authorize('metrics:ingest'), async (c) => {
    if (!MEDIA.test(c.req.header('content-type') ?? ''))
      throw new ApiError(415, 'unsupported_media_type', 'Content-Type must be application/json or application/x-ndjson', 'content-type');
    const defaultService = c.req.query('service')?.slice(0, LOG_LIMITS.maxServiceLength) || UNKNOWN_SERVICE;
    const text = await readBody(c.req.raw, APM_LIMITS.maxBodyBytes);
    const now = Date.now();
    const records = splitBody(text);
    if (records.length > LOG_LIMITS.maxLinesPerRequest)
      throw new ApiError(413, 'body_too_large', `${records.length} lines; at most ${LOG_LIMITS.maxLinesPerRequest} per request`, '(body)');
    const lines: StoredLine[] = [];
    const errors: { line: number; message: string }[] = [];
    let rejected = 0;
    for (const r of records) {
      let why: string;
      if ('error' in r) why = r.error;
      else {
        const raw = shipperLine(r.value, now * 1000, defaultService);
        if (typeof raw !== 'string') {
          const bad = checkTime(raw.tsMicros, now);
          if (!bad) {
            lines.push(capLine(raw));
            continue;
          }
          why = bad;
        } else why = raw;
      }
      rejected++;
      if (errors.length < MAX_ERRORS) errors.push({ line: r.n, message: why });
    }
    if (lines.length === 0 && rejected > 0) {
      const first = errors[0]!;
      const code = /^not valid JSON/.test(first.message) ? 'invalid_json' : 'invalid_request';
      const prefix = code === 'invalid_json' ? 'body is ' : '';
      throw new ApiError(400, code, `${prefix}${first.message}${records.length > 1 ? ` (line ${first.line}; all ${rejected} lines rejected)` : ''}`, '(body)');
    }
    await storeLines(c.env, c.executionCtx, c.get('tenantId'), lines, now);
    return c.json({ accepted: lines.length, rejected, errors } satisfies z.infer<typeof LogIngestResponse>, 200);
  });
}
