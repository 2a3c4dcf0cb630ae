// The demo service (examples/demo-service), instrumented with the official OpenTelemetry Node SDK
// and configured only by the standard OTEL_* variables, against the real local stack (Postgres,
// workerd), once per OTLP encoding: an exact number of requests per route, then the product's
// answers compared with what the SDK itself recorded (an in-memory span processor in the same
// SDK). Counts must match exactly; P50/P95/P99 within the sketch's documented error: 1 % of the
// nearest-rank value, 1-based rank ceil(q·n) (durable-objects/core/sketch.ts, docs/apm.md).
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planRequests, runRequests, type PlannedRequest } from '../examples/demo-service/load.ts';
import { ROUTES, routeKey } from '../examples/demo-service/routes.ts';
import type { CapturedSpan } from '../examples/demo-service/telemetry.ts';
import { SKETCH_RELATIVE_ACCURACY } from '../durable-objects/core/sketch.ts';
import type { RoutesResponse, ServiceSummary, SignalsResponse } from '../protocol/apm.ts';
import { startDemo, type DemoProcess } from '../scripts/lib/demo.ts';
import { startStack, type Stack } from '../scripts/lib/stack.ts';

/** Requests per route; the orders route fails 5 % (10 of 200), every tenth user id is a 404. */
const COUNTS: Record<string, number> = {
  'GET /api/users/{id}': 300,
  'GET /api/users': 60,
  'POST /api/orders': 200,
  'GET /api/orders/{id}': 100,
  'GET /api/search': 200,
};
/** Health checks the demo does not trace: they must not show up as a route. */
const HEALTH_CHECKS = 20;
const TOTAL = Object.values(COUNTS).reduce((a, b) => a + b, 0);
/** The sketch's relative accuracy (SKETCH_RELATIVE_ACCURACY), plus float slack at a bucket's edge. */
const RELATIVE = SKETCH_RELATIVE_ACCURACY + 1e-9;
/**
 * The worker takes span times as float milliseconds since the epoch (worker/otlp/server-spans.ts),
 * which holds them to ~0.25 µs: a duration is off by up to ~0.5 µs before the sketch sees it.
 */
const ABSOLUTE_MS = 0.001;
const SERVER = 1; // SpanKind.SERVER in @opentelemetry/api
const QUANTILES = [
  ['p50', 0.5],
  ['p95', 0.95],
  ['p99', 0.99],
] as const;

let stack: Stack;
const runId = randomBytes(3).toString('hex');

beforeAll(async () => {
  // Not created here: the embedded Postgres (run as its own user under root) makes its directory.
  const dataDir = path.join(os.tmpdir(), `pulse-apm-demo-${process.pid}-${Date.now()}`);
  stack = await startStack({ dataDir, persistent: false, log: (m) => console.error(`[apm-demo] ${m}`) });
}, 240_000);

afterAll(async () => {
  await stack?.stop();
}, 60_000);

const ms = (nanos: string) => Number(BigInt(nanos)) / 1e6;

/** The nearest-rank value, 1-based rank ceil(q·n) of the sorted values: what the sketch approximates. */
function exactQuantile(sorted: number[], q: number): number {
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]!;
}

/** The product's rule (issue #12): span status ERROR or a 5xx; a 4xx is not an error. */
function isError(s: CapturedSpan): boolean {
  return s.statusCode === 2 || Number(s.attributes['http.response.status_code']) >= 500;
}

interface Truth {
  requests: number;
  errors: number;
  clientErrors: number;
  /** Sorted durations in ms. */
  durations: number[];
}

function truthOf(spans: CapturedSpan[]): Truth {
  return {
    requests: spans.length,
    errors: spans.filter(isError).length,
    clientErrors: spans.filter((s) => {
      const code = Number(s.attributes['http.response.status_code']);
      return code >= 400 && code < 500;
    }).length,
    durations: spans.map((s) => ms(s.durationNanos)).sort((a, b) => a - b),
  };
}

function expectQuantiles(where: string, got: { p50: number | null; p95: number | null; p99: number | null }, sorted: number[]) {
  for (const [name, q] of QUANTILES) {
    const exact = exactQuantile(sorted, q);
    const value = got[name];
    expect(value, `${where} ${name}`).not.toBeNull();
    const allowed = RELATIVE * (exact + ABSOLUTE_MS) + ABSOLUTE_MS;
    expect(Math.abs(value! - exact), `${where} ${name}: ${value} ms against the exact ${exact} ms`).toBeLessThanOrEqual(allowed);
  }
}

async function api<T>(pathAndQuery: string): Promise<{ status: number; body: T }> {
  const res = await fetch(`${stack.url}${pathAndQuery}`, { headers: { authorization: `Bearer ${stack.credentials.readKey}` } });
  return { status: res.status, body: (await res.json()) as T };
}

/** Flushes the SDK until every request's server span is in (a span ends just after its answer). */
async function collectSpans(demo: DemoProcess, expected: number): Promise<CapturedSpan[]> {
  const spans: CapturedSpan[] = [];
  const deadline = Date.now() + 15_000;
  for (;;) {
    spans.push(...(await demo.flush()));
    const server = spans.filter((s) => s.kind === SERVER).length;
    if (server >= expected || Date.now() > deadline) return spans;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * One bucket of the per-second tier covering every span: a step S under a minute (so the
 * 15-minute tier answers) with the bucket [k·S, (k+1)·S) holding seconds first..last.
 */
function singleBucket(firstSec: number, lastSec: number): { from: number; to: number } {
  for (let s = lastSec - firstSec + 1; s < 60; s++) {
    const from = Math.floor(firstSec / s) * s;
    if (from + s > lastSec) return { from: from * 1000, to: (from + s) * 1000 };
  }
  throw new Error(`no bucket under a minute covers seconds ${firstSec}..${lastSec}`);
}

describe.each([
  { protocol: 'http/protobuf' as const, gzip: true },
  { protocol: 'http/json' as const, gzip: false },
])('the demo service over OTLP $protocol (gzip: $gzip)', ({ protocol, gzip }) => {
  it('shows exact request and error counts per route and percentiles within the sketch’s 1 %', { timeout: 240_000 }, async () => {
    const service = `demo-e2e-${protocol.slice(5)}-${runId}`;
    const demo = await startDemo({ endpoint: stack.url, ingestKey: stack.credentials.ingestKey, service, protocol, gzip, recordSpans: true });
    try {
      const health: PlannedRequest[] = Array.from({ length: HEALTH_CHECKS }, () => ({ label: 'health', method: 'GET', path: '/health' }));
      const answered = await runRequests(demo.url, [...planRequests(COUNTS), ...health], 16);
      expect(answered.health).toEqual({ 200: HEALTH_CHECKS });

      // Ground truth: the server spans the SDK finished (and exported: flush waits for the export).
      const spans = (await collectSpans(demo, TOTAL)).filter((s) => s.kind === SERVER);
      expect(spans, demo.output()).toHaveLength(TOTAL);
      const byRoute = new Map<string, CapturedSpan[]>();
      for (const s of spans) {
        const key = `${String(s.attributes['http.request.method'])} ${String(s.attributes['http.route'])}`;
        byRoute.set(key, [...(byRoute.get(key) ?? []), s]);
      }
      expect(Object.fromEntries([...byRoute].map(([k, v]) => [k, v.length]))).toEqual(COUNTS);
      const truth = new Map([...byRoute].map(([k, v]) => [k, truthOf(v)]));
      // The mix exercises both rules: 500s are errors, 404s are not.
      expect(truth.get('POST /api/orders')!.errors).toBe(10);
      expect(truth.get('GET /api/users/{id}')!.clientErrors).toBe(30);
      expect(truth.get('GET /api/users/{id}')!.errors).toBe(0);
      for (const [route, t] of truth) {
        const fives = Object.entries(answered[route] ?? {}).reduce((n, [code, c]) => n + (Number(code) >= 500 ? c : 0), 0);
        expect(fives, `${route}: 5xx answers seen by the client`).toBe(t.errors);
      }

      const endSecs = spans.map((s) => Math.floor(ms(s.endUnixNanos) / 1000));
      const firstSec = Math.min(...endSecs);
      const lastSec = Math.max(...endSecs);
      const range = `from=${(firstSec - 1) * 1000}&to=${(lastSec + 2) * 1000}`;
      const base = `/api/v1/services/${encodeURIComponent(service)}`;

      // The service is listed a moment after its first spans (a batched registry write): poll.
      let routes: RoutesResponse | undefined;
      await expect
        .poll(
          async () => {
            const r = await api<RoutesResponse>(`${base}/routes?${range}`);
            routes = r.status === 200 ? r.body : undefined;
            return routes?.routes.reduce((n, x) => n + x.requests, 0) ?? `status ${r.status}: ${JSON.stringify(r.body)}`;
          },
          { timeout: 30_000, interval: 500 },
        )
        .toBe(TOTAL);
      expect(routes!.tier).toBe('1s');
      expect(routes!.routes.map((r) => r.route).sort()).toEqual(ROUTES.map(routeKey).sort());
      for (const row of routes!.routes) {
        const t = truth.get(row.route)!;
        expect({ route: row.route, requests: row.requests, errors: row.errors }).toEqual({ route: row.route, requests: t.requests, errors: t.errors });
        expect(row.errorRate).toBeCloseTo(t.errors / t.requests, 12);
        expectQuantiles(`routes: ${row.route}`, row, t.durations);
      }

      // Per route over time: the points add up to the same counts.
      for (const [route, t] of truth) {
        const { status, body } = await api<SignalsResponse>(`${base}/signals?${range}&route=${encodeURIComponent(route)}&points=60`);
        expect(status).toBe(200);
        expect(body.tier).toBe('1s');
        const sum = body.points.reduce((a, p) => ({ requests: a.requests + p.requests, errors: a.errors + p.errors }), { requests: 0, errors: 0 });
        expect(sum, `signals for ${route}`).toEqual({ requests: t.requests, errors: t.errors });
      }

      // The whole service in one bucket: totals exact, percentiles over every span.
      const bucket = singleBucket(firstSec, lastSec);
      const { status, body } = await api<SignalsResponse>(`${base}/signals?from=${bucket.from}&to=${bucket.to}&points=2`);
      expect(status).toBe(200);
      expect(body.tier).toBe('1s');
      expect(body.points).toHaveLength(1);
      const all = truthOf(spans);
      expect({ requests: body.points[0]!.requests, errors: body.points[0]!.errors }).toEqual({ requests: all.requests, errors: all.errors });
      expectQuantiles('signals (service)', body.points[0]!, all.durations);

      // And it is listed with its organization's services.
      const list = await api<{ services: ServiceSummary[] }>('/api/v1/services');
      expect(list.status).toBe(200);
      expect(list.body.services.map((s) => s.name)).toContain(service);
    } finally {
      await demo.stop();
    }
  });
});
