// OpenAPI entries of the OTLP routes. They are served by a plain Hono sub-app (their errors are
// google.rpc.Status, not the JSON envelope), so they are documented by hand.
import type { OpenAPIHono } from '@hono/zod-openapi';
import { APM_LIMITS } from '../../../protocol/apm.ts';
import { RATE_LIMITS, type RateRule } from '../../limits.ts';
import type { AppEnv } from '../../types.ts';

const binary = { schema: { type: 'string' as const, format: 'binary' } };
const json = { schema: { type: 'object' as const, description: 'the OTLP/HTTP JSON encoding' } };
const status = (description: string) => ({ description, content: { 'application/x-protobuf': binary, 'application/json': { schema: { type: 'object' as const, properties: { code: { type: 'integer' as const }, message: { type: 'string' as const } } } } } });

export function otlpDoc(
  app: OpenAPIHono<AppEnv>,
  o: { path: string; summary: string; request: string; response: string; permission: { security: Record<string, string[]>[] }; rate?: RateRule; records?: string },
) {
  const rate = o.rate ?? RATE_LIMITS.spans;
  app.openAPIRegistry.registerPath({
    method: 'post',
    path: o.path,
    tags: ['otlp'],
    summary: o.summary,
    description: `OTLP/HTTP (https://opentelemetry.io/docs/specs/otlp/#otlphttp): body \`${o.request}\` as \`application/x-protobuf\` or \`application/json\`, \`Content-Encoding: gzip\` accepted, at most ${APM_LIMITS.maxBodyBytes} bytes after decompression. Answers in the request's encoding: 200 with \`${o.response}\` (with \`partial_success\` when some records were rejected), or a \`google.rpc.Status\`. Requires an ingest key. See docs/apm.md.`,
    security: o.permission.security,
    'x-permission': 'metrics:ingest',
    request: { body: { required: true, content: { 'application/x-protobuf': binary, 'application/json': json } } },
    responses: {
      200: { description: `${o.response}; partial_success names the rejected count and the first problem`, content: { 'application/x-protobuf': binary, 'application/json': json } },
      400: status('Undecodable body (the message says where)'),
      401: status('Missing or invalid key'),
      403: status('The key lacks metrics:ingest'),
      413: status(`Body over ${APM_LIMITS.maxBodyBytes} bytes (after decompression)`),
      415: status('Content-Type other than application/x-protobuf or application/json, or an encoding other than gzip'),
      429: status(`Over ${(rate.limit * (rate.perCount ?? 1)) / rate.period} ${o.records ?? 'spans'}/s for the organization; see Retry-After`),
    },
  });
}
