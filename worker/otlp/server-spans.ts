// Server spans to golden signals (issue #12): per service, route and second, a request count, an
// error count and a latency sketch. This per-span work runs in the worker, which scales out; the
// service object receives only these compact aggregates.
// Semantic conventions: https://opentelemetry.io/docs/specs/semconv/http/http-spans/ (stable),
// with the older names SDKs still send (http.method, http.status_code, http.target).
import { APM_LIMITS, UNKNOWN_SERVICE, type RouteSecondWire, type ServiceBatch } from '../../protocol/apm.ts';
import { spanAttributes, validateSpan } from '../../protocol/otlp/index.ts';
import type { Attrs, AttrValue, Span, TracesRequest } from '../../protocol/otlp/types.ts';
import { LatencySketch } from '../../durable-objects/core/sketch.ts';
import { thresholdKey } from '../../durable-objects/core/slo.ts';

const SPAN_KIND_SERVER = 2;
const STATUS_ERROR = 2;

const str = (v: AttrValue | undefined): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
function int(v: AttrValue | undefined): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string' && /^\d{3}$/.test(v)) return Number(v);
  return undefined;
}

/** Strips control characters and caps the length, so names are safe to store and show. */
export function cleanName(s: string, max: number): string {
  // eslint-disable-next-line no-control-regex
  const t = s.replace(/[\x00-\x1f\x7f]/g, '?');
  return t.length > max ? t.slice(0, max) : t;
}

/** A path segment that is an id (numbers, UUIDs, long hex or opaque tokens) becomes `{id}`. */
const ID_SEGMENT = /^(?:\d+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{12,}|[A-Za-z0-9_-]{24,})$/i;

/** A raw path (http.target / url.path) as a route template: no query, ids replaced. */
export function templatePath(target: string): string {
  const path = target.split(/[?#]/, 1)[0]!;
  return path
    .split('/')
    .map((seg) => (ID_SEGMENT.test(seg) ? '{id}' : seg))
    .join('/');
}

/**
 * The span attributes the signals read (routeOf, isError): /v1/traces decodes only these for
 * every span, and the rest for spans it stores (protocol/otlp/pb-traces.ts, onlyAttributes).
 * The raw path (url.path, http.target) matters only without http.route, and is unique per
 * request: a server span without a route is decoded whole instead (routeOfSpan).
 */
export const SIGNAL_ATTRIBUTES: readonly string[] = ['http.request.method', 'http.method', 'http.route', 'http.response.status_code', 'http.status_code'];

/** routeOf a server span, whose other attributes may still be undecoded (SIGNAL_ATTRIBUTES). */
function routeOfSpan(span: Span): string {
  if (span.deferred && str(span.attributes['http.route']) === undefined) return routeOf(spanAttributes(span));
  return routeOf(span.attributes);
}

/**
 * Route names by method, then route or path, per isolate (bounded: raw paths can be unbounded).
 * Two levels of maps keyed by the decoder's strings, which repeat as the same (cached) strings,
 * instead of one key concatenated per span: a joined key is a new string hashed at every lookup.
 */
const routeNames = new Map<string, Map<string, string>>();
let routeNameCount = 0;
const MAX_ROUTE_NAMES = 10_000;

/**
 * The route a server span counts under: `METHOD http.route`; without http.route, the raw path
 * templated (ids replaced; the per-service route cap bounds the rest); else the method alone.
 */
export function routeOf(a: Attrs): string {
  const method = str(a['http.request.method']) ?? str(a['http.method']);
  const route = str(a['http.route']);
  const path = route === undefined ? (str(a['url.path']) ?? str(a['http.target'])) : undefined;
  // Spans of a batch repeat a few routes: name each (method, route or path) once. The second
  // level's key tells a route from a path of the same text (a NUL prefix) and from neither ('').
  const m = method ?? '';
  const key = route !== undefined ? route : path !== undefined ? `\u0000${path}` : ''; // str() never gives ''
  let byMethod = routeNames.get(m);
  const hit = byMethod?.get(key);
  if (hit !== undefined) return hit;
  const template = route ?? (path !== undefined ? templatePath(path) : undefined);
  const name = cleanName(method && template ? `${method} ${template}` : (template ?? method ?? 'unknown'), APM_LIMITS.maxRouteLength);
  if (routeNameCount >= MAX_ROUTE_NAMES) {
    routeNames.clear();
    routeNameCount = 0;
    byMethod = undefined;
  }
  if (!byMethod) routeNames.set(m, (byMethod = new Map()));
  byMethod.set(key, name);
  routeNameCount++;
  return name;
}

/** An error is span status ERROR or a 5xx response; a 4xx is the client's mistake, not one. */
export function isError(span: Span): boolean {
  if (span.status.code === STATUS_ERROR) return true;
  return isServerErrorStatus(span.attributes);
}

/** A 5xx response status (stable or older attribute name); shared with duration histograms. */
export function isServerErrorStatus(a: Attrs): boolean {
  const code = int(a['http.response.status_code']) ?? int(a['http.status_code']);
  return code !== undefined && code >= 500;
}

interface Cell {
  sec: number;
  route: string;
  count: number;
  errors: number;
  sketch: LatencySketch;
  /** Requests at or under each of the service's latency-SLO thresholds (exact, not from the sketch). */
  le: number[] | null;
}

interface ServiceAcc {
  hosts: Set<string>;
  /** By second, then route (no key string built per span). */
  cells: Map<number, Map<string, Cell>>;
  thresholds: readonly number[];
}

/** A span that passed validation, with what span storage needs (worker/otlp/span-sampling.ts). */
export interface AcceptedSpan {
  service: string;
  resource: Attrs;
  span: Span;
  /** The route a server span counts under; null for other kinds. */
  route: string | null;
  error: boolean;
  /** End and duration as float milliseconds, computed once here for the sampling plan. */
  endMs: number;
  ms: number;
}

export interface AggregatedTraces {
  /** Per service: the batch for its object (batchId still to be set by the caller). */
  services: Map<string, Omit<ServiceBatch, 'batchId'>>;
  spans: number;
  /** Server spans counted. */
  requests: number;
  rejected: number;
  /** The first rejection's reason, with where it was. */
  problem: string;
  /** Every accepted span, server or not, in request order. */
  accepted: AcceptedSpan[];
}

/**
 * `thresholdsFor(service)`: the latency thresholds (ms) of the service's latency SLOs; each
 * entry then counts its requests at or under each one (docs/slo.md).
 */
export function aggregateTraces(req: TracesRequest, now: number, thresholdsFor: (service: string) => readonly number[] = () => []): AggregatedTraces {
  // Times as float milliseconds: nanoseconds since the epoch lose ~0.3 µs as a double, far below
  // the sketch's 1 %, and number arithmetic is much cheaper than BigInt on this hot path.
  const minEnd = now - APM_LIMITS.acceptPastMs;
  const maxEnd = now + APM_LIMITS.acceptFutureMs;
  const accs = new Map<string, ServiceAcc>();
  let spans = 0;
  let requests = 0;
  let rejected = 0;
  let problem = '';
  const accepted: AcceptedSpan[] = [];
  // Where a span is, named only when one is rejected (a string built per span was a measurable cost).
  const reject = (ri: number, si: number, i: number, why: string) => {
    rejected++;
    if (!problem) problem = `resourceSpans[${ri}].scopeSpans[${si}].spans[${i}]: ${why}`;
  };
  req.resourceSpans.forEach((rs, ri) => {
    const ra = rs.resource.attributes;
    const service = cleanName(str(ra['service.name']) ?? UNKNOWN_SERVICE, APM_LIMITS.maxServiceNameLength);
    let acc: ServiceAcc | undefined;
    rs.scopeSpans.forEach((ss, si) => {
      ss.spans.forEach((span, i) => {
        spans++;
        const bad = validateSpan(span);
        if (bad) return reject(ri, si, i, bad);
        const endMs = Number(span.endTimeUnixNano) / 1e6;
        if (endMs < minEnd || endMs > maxEnd) return reject(ri, si, i, 'end time is more than 15 minutes old or 5 minutes ahead of the server clock');
        if (span.kind !== SPAN_KIND_SERVER) {
          accepted.push({ service, resource: ra, span, route: null, error: isError(span), endMs, ms: endMs - Number(span.startTimeUnixNano) / 1e6 });
          return; // accepted; not a request of this service
        }
        if (!acc) {
          acc = accs.get(service);
          if (!acc) {
            if (accs.size >= APM_LIMITS.maxServicesPerRequest) return reject(ri, si, i, `more than ${APM_LIMITS.maxServicesPerRequest} services in one request`);
            accs.set(service, (acc = { hosts: new Set(), cells: new Map(), thresholds: thresholdsFor(service) }));
          }
          for (const k of ['host.name', 'host.id']) {
            const h = str(ra[k]);
            if (h) acc.hosts.add(cleanName(h, 256));
          }
        }
        const sec = Math.floor(endMs / 1000);
        const route = routeOfSpan(span);
        let bySec = acc.cells.get(sec);
        if (!bySec) acc.cells.set(sec, (bySec = new Map()));
        let cell = bySec.get(route);
        if (!cell) bySec.set(route, (cell = { sec, route, count: 0, errors: 0, sketch: new LatencySketch(), le: acc.thresholds.length ? new Array<number>(acc.thresholds.length).fill(0) : null }));
        cell.count++;
        const error = isError(span);
        if (error) cell.errors++;
        const ms = endMs - Number(span.startTimeUnixNano) / 1e6;
        accepted.push({ service, resource: ra, span, route, error, endMs, ms });
        cell.sketch.add(ms);
        if (cell.le) for (let t = 0; t < acc.thresholds.length; t++) if (ms <= acc.thresholds[t]!) cell.le[t]!++;
        requests++;
      });
    });
  });
  const services = new Map<string, Omit<ServiceBatch, 'batchId'>>();
  for (const [service, acc] of accs) {
    const entries: RouteSecondWire[] = [];
    for (const c of [...acc.cells.values()].flatMap((m) => [...m.values()])) {
      const e: RouteSecondWire = { sec: c.sec, route: c.route, count: c.count, errors: c.errors, sketch: c.sketch.toWire() };
      if (c.le) e.le = Object.fromEntries(acc.thresholds.map((t, i) => [thresholdKey(t), c.le![i]!]));
      entries.push(e);
    }
    if (entries.length) services.set(service, { service, hosts: [...acc.hosts], entries, ...(acc.thresholds.length && { thresholds: [...acc.thresholds] }) });
  }
  return { services, spans, requests, rejected, problem, accepted };
}
