// The demo service logs through the official OpenTelemetry logs SDK (examples/demo-service:
// a line per request, an error line per failed one, inside the request's span) against the real
// local stack, once per OTLP encoding: a failed request's trace id, as the SDK recorded it on the
// server span, finds exactly its log lines, which carry that span id and lead back to the trace.
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planRequests, runRequests } from '../examples/demo-service/load.ts';
import type { LogSearchResponse } from '../protocol/logs.ts';
import { startDemo } from '../scripts/lib/demo.ts';
import { startStack, type Stack } from '../scripts/lib/stack.ts';

const SERVER = 1; // SpanKind.SERVER
/** 20 orders: the route's schedule fails 5 %, so exactly one is a 500 (routes.ts). */
const COUNTS = { 'POST /api/orders': 20, 'GET /api/users': 5 };

let stack: Stack;
const runId = randomBytes(3).toString('hex');

beforeAll(async () => {
  const dataDir = path.join(os.tmpdir(), `pulse-logs-demo-${process.pid}-${Date.now()}`);
  stack = await startStack({ dataDir, persistent: false, log: (m) => console.error(`[logs-demo] ${m}`) });
}, 240_000);

afterAll(async () => {
  await stack?.stop();
}, 60_000);

async function search(query: string): Promise<LogSearchResponse> {
  const res = await fetch(`${stack.url}/api/v1/logs?${query}`, { headers: { authorization: `Bearer ${stack.credentials.readKey}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as LogSearchResponse;
}

describe.each(['http/protobuf', 'http/json'] as const)('the demo service logs over OTLP %s', (protocol) => {
  it("finds a failed request's log lines by its trace id, with its span id, and none of another request's", { timeout: 120_000 }, async () => {
    const service = `demo-logs-${protocol.slice(5)}-${runId}`;
    const demo = await startDemo({ endpoint: stack.url, ingestKey: stack.credentials.ingestKey, service, protocol, gzip: protocol === 'http/protobuf', recordSpans: true });
    try {
      const answered = await runRequests(demo.url, planRequests(COUNTS), 4);
      expect(answered['POST /api/orders']).toEqual({ 200: 19, 500: 1 });
      // Flush until every server span is in; flush also exports the log records.
      const spans = [];
      for (let i = 0; i < 50 && spans.filter((s) => s.kind === SERVER).length < 25; i++) spans.push(...(await demo.flush()));
      const server = spans.filter((s) => s.kind === SERVER);
      expect(server, demo.output()).toHaveLength(25);
      const failed = server.find((s) => s.attributes['http.response.status_code'] === 500)!;
      const ok = server.find((s) => s.attributes['http.response.status_code'] === 200 && s.attributes['http.route'] === '/api/users')!;

      // Everything the demo logged: a line per request and one more for the failure.
      await expect.poll(async () => (await search(`service=${service}&limit=100`)).lines.length, { timeout: 15_000 }).toBe(26);

      const lines = (await search(`trace_id=${failed.traceId}`)).lines;
      // Sorted, the request line ("… 500 in …") comes before the error line ("… failed: …").
      expect(lines.map((l) => l.message).sort()).toEqual([expect.stringMatching(/^POST \/api\/orders 500 in \d+ ms$/), 'POST /api/orders failed: upstream payment service timed out']);
      for (const l of lines) expect(l).toMatchObject({ service, traceId: failed.traceId, spanId: failed.spanId, severity: 17, level: 'ERROR' });
      expect((await search(`trace_id=${failed.traceId}&span_id=${failed.spanId}&level=error&q=${encodeURIComponent('"upstream payment"')}`)).lines).toHaveLength(1);
      // The request line's attributes are the SDK's, as sent.
      expect(lines.find((l) => / 500 in /.test(l.message))!.attributes).toMatchObject({ 'http.route': '/api/orders', 'http.response.status_code': 500, 'http.request.method': 'POST' });

      const okLines = (await search(`trace_id=${ok.traceId}`)).lines;
      expect(okLines.map((l) => [l.message.replace(/\d+ ms/, 'N ms'), l.severity, l.spanId])).toEqual([['GET /api/users 200 in N ms', 9, ok.spanId]]);
      expect((await search(`service=${service}&level=error`)).lines).toHaveLength(2);
    } finally {
      await demo.stop();
    }
  });
});
