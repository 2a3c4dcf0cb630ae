// The demo service: a plain node:http server (no framework) answering the routes of routes.ts
// with their latencies and errors. OpenTelemetry's HTTP instrumentation makes a SERVER span per
// request; with no router it cannot know the route template, so the handler sets `http.route`
// (and the span name) from the routing table, as a framework's instrumentation does.
//
// Admin API (not traced), for breaking the demo on purpose (issue #13):
//   GET    /_demo/faults                     the faults in force
//   PUT    /_demo/faults  {"route":"POST /api/orders","extraLatencyMs":300,"errorRate":0.5}
//   DELETE /_demo/faults                     back to normal
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { logs, SeverityNumber, SpanStatusCode, trace } from '@opentelemetry/api';
import { z } from 'zod';
import { routeKey, Router } from './routes.ts';

const FaultBody = z.strictObject({
  route: z.string().describe('METHOD template, e.g. "POST /api/orders"'),
  extraLatencyMs: z.number().min(0).max(60_000).optional(),
  errorRate: z.number().min(0).max(1).optional(),
});

/**
 * The demo's logs, through the OpenTelemetry logs API: each request's line, and an error line for
 * each failed one. Emitted inside the request's span, so the SDK gives them its trace and span ids.
 */
const logger = logs.getLogger('demo-service');

function logRequest(method: string, route: string, status: number, latencyMs: number) {
  const severityNumber = status >= 500 ? SeverityNumber.ERROR : status >= 400 ? SeverityNumber.WARN : SeverityNumber.INFO;
  logger.emit({
    severityNumber,
    severityText: severityNumber === SeverityNumber.ERROR ? 'ERROR' : severityNumber === SeverityNumber.WARN ? 'WARN' : 'INFO',
    body: `${method} ${route} ${status} in ${Math.round(latencyMs)} ms`,
    attributes: { 'http.request.method': method, 'http.route': route, 'http.response.status_code': status },
  });
}

export interface DemoServer {
  url: string;
  router: Router;
  close(): Promise<void>;
}

function send(res: http.ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

async function readBody(req: http.IncomingMessage, max = 64 * 1024): Promise<string> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) throw new RangeError(`body over ${max} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function admin(router: Router, req: http.IncomingMessage, res: http.ServerResponse, path: string) {
  if (path !== '/_demo/faults') return send(res, 404, { error: `no admin endpoint ${path}; try /_demo/faults` });
  if (req.method === 'GET') return send(res, 200, { faults: router.listFaults() });
  if (req.method === 'DELETE') {
    router.clearFaults();
    return send(res, 200, { faults: {} });
  }
  if (req.method !== 'PUT') return send(res, 405, { error: 'use GET, PUT or DELETE' });
  let parsed;
  try {
    parsed = FaultBody.safeParse(JSON.parse(await readBody(req)));
  } catch (err) {
    return send(res, 400, { error: `body is not JSON: ${(err as Error).message}` });
  }
  if (!parsed.success) return send(res, 400, { error: parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ') });
  const { route, ...fault } = parsed.data;
  try {
    router.setFault(route, fault);
  } catch (err) {
    return send(res, 400, { error: (err as Error).message });
  }
  return send(res, 200, { faults: router.listFaults() });
}

async function handle(router: Router, req: http.IncomingMessage, res: http.ServerResponse) {
  const method = req.method ?? 'GET';
  const path = (req.url ?? '/').split('?', 1)[0]!;
  if (path === '/health') return send(res, 200, { ok: true });
  if (path.startsWith('/_demo/')) return admin(router, req, res, path);
  if (method === 'POST') await readBody(req);
  const outcome = router.decide(method, path);
  // Unknown paths stay untemplated: the product then names them from the raw path.
  if (!outcome) return send(res, 404, { error: `no route for ${method} ${path}` });
  const span = trace.getActiveSpan();
  span?.setAttribute('http.route', outcome.route.template);
  span?.updateName(routeKey(outcome.route));
  await sleep(outcome.latencyMs);
  logRequest(method, outcome.route.template, outcome.status, outcome.latencyMs);
  if (outcome.status >= 500) {
    logger.emit({ severityNumber: SeverityNumber.ERROR, severityText: 'ERROR', body: `${routeKey(outcome.route)} failed: upstream payment service timed out`, attributes: { 'error.type': 'UpstreamTimeout', 'http.route': outcome.route.template } });
    // The instrumentation marks a 5xx span ERROR by itself; the exception adds the why.
    span?.recordException(new Error('upstream payment service timed out'));
    span?.setStatus({ code: SpanStatusCode.ERROR, message: 'upstream payment service timed out' });
    return send(res, outcome.status, { error: 'upstream payment service timed out' });
  }
  if (outcome.status >= 400) return send(res, outcome.status, { error: 'not found' });
  return send(res, 200, { route: outcome.route.template, params: outcome.params });
}

export async function startServer(opts: { port?: number; host?: string; router?: Router } = {}): Promise<DemoServer> {
  const router = opts.router ?? new Router();
  const server = http.createServer((req, res) => {
    handle(router, req, res).catch((err: unknown) => {
      // A body over the cap is the client's mistake; anything else is a bug in the demo.
      if (!(err instanceof RangeError)) console.error('[demo] handler failed:', err);
      if (!res.headersSent) send(res, err instanceof RangeError ? 413 : 500, { error: String((err as Error)?.message ?? err) });
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${opts.host ?? '127.0.0.1'}:${port}`,
    router,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
