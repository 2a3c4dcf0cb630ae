// The demo's routing table: each route's template (sent as `http.route`, as a framework's
// instrumentation would), its latency distribution and its error rate, plus the fault switch
// (issue #13: slow a route down or make it fail on demand). Pure: no I/O, tested on its own.

export type Rand = () => number;

export interface RouteSpec {
  method: 'GET' | 'POST';
  /** The route template, e.g. `/api/users/{id}`: what `http.route` carries. */
  template: string;
  /** A normal answer's latency in ms, drawn from this route's distribution. */
  latency: (rand: Rand) => number;
  /** Share of answers that are a 500. Scheduled, not random: after n requests, floor(n × rate) failed. */
  errorRate: number;
  /** A 4xx for some inputs (the client's mistake, which the product does not count as an error). */
  clientError?: (params: Record<string, string>) => number | undefined;
}

/** A log-normal draw with the given median (ms) and shape (Box–Muller). */
export function logNormal(rand: Rand, medianMs: number, sigma: number): number {
  const u = Math.max(rand(), 1e-12);
  const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
  return medianMs * Math.exp(sigma * z);
}

export const ROUTES: RouteSpec[] = [
  // ~20 ms; ids above 1000 do not exist (404: not an error).
  { method: 'GET', template: '/api/users/{id}', latency: (r) => logNormal(r, 20, 0.25), errorRate: 0, clientError: (p) => (Number(p.id) > 1000 ? 404 : undefined) },
  { method: 'GET', template: '/api/users', latency: (r) => logNormal(r, 35, 0.3), errorRate: 0 },
  // ~80 ms, 5 % answered 500.
  { method: 'POST', template: '/api/orders', latency: (r) => logNormal(r, 80, 0.2), errorRate: 0.05 },
  { method: 'GET', template: '/api/orders/{id}', latency: (r) => logNormal(r, 25, 0.3), errorRate: 0 },
  // A slow tail: 90 % ~60 ms, 9 % ~300 ms, 1 % ~1.2 s.
  {
    method: 'GET',
    template: '/api/search',
    latency: (r) => {
      const x = r();
      return x < 0.9 ? logNormal(r, 60, 0.3) : x < 0.99 ? logNormal(r, 300, 0.25) : logNormal(r, 1200, 0.15);
    },
    errorRate: 0,
  },
];

/** How the product names a route: `METHOD template` (worker/otlp/server-spans.ts). */
export const routeKey = (r: Pick<RouteSpec, 'method' | 'template'>) => `${r.method} ${r.template}`;

/** Requests the demo does not trace: the health check (a probe, not traffic) and the admin API. */
export function untraced(path: string): boolean {
  return path === '/health' || path.startsWith('/_demo/');
}

function compile(template: string): RegExp {
  const src = template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{(\w+)\}/g, '(?<$1>[^/]+)');
  return new RegExp(`^${src}$`);
}

/** A route made worse on purpose (issue #13). */
export interface Fault {
  /** Added to every answer's latency, ms. */
  extraLatencyMs?: number;
  /** Replaces the route's error rate (0..1). */
  errorRate?: number;
}

export interface Outcome {
  route: RouteSpec;
  params: Record<string, string>;
  latencyMs: number;
  status: number;
}

/** The routing table with each route's error schedule and faults. */
export class Router {
  private readonly compiled: { spec: RouteSpec; re: RegExp }[];
  /** Per route: error credit (an error is due whenever it reaches 1). */
  private readonly credit = new Map<string, number>();
  private readonly faults = new Map<string, Fault>();

  constructor(
    readonly routes: RouteSpec[] = ROUTES,
    private readonly rand: Rand = Math.random,
  ) {
    this.compiled = routes.map((spec) => ({ spec, re: compile(spec.template) }));
  }

  find(method: string, path: string): { route: RouteSpec; params: Record<string, string> } | null {
    for (const { spec, re } of this.compiled) {
      if (spec.method !== method) continue;
      const m = re.exec(path);
      if (m) return { route: spec, params: { ...m.groups } };
    }
    return null;
  }

  /** What this request gets: its latency and status. Advances the route's error schedule. */
  decide(method: string, path: string): Outcome | null {
    const found = this.find(method, path);
    if (!found) return null;
    const key = routeKey(found.route);
    const fault = this.faults.get(key);
    const client = found.route.clientError?.(found.params);
    let status = client ?? 200;
    if (client === undefined) {
      const credit = (this.credit.get(key) ?? 0) + (fault?.errorRate ?? found.route.errorRate);
      // The epsilon: 20 × 0.05 must be one error, whatever the float sum says.
      if (credit >= 1 - 1e-9) {
        status = 500;
        this.credit.set(key, credit - 1);
      } else this.credit.set(key, credit);
    }
    const base = client !== undefined ? Math.min(5, found.route.latency(this.rand)) : found.route.latency(this.rand);
    return { ...found, status, latencyMs: base + (fault?.extraLatencyMs ?? 0) };
  }

  /** Sets (or with null clears) a route's fault; the route is `METHOD template`. */
  setFault(route: string, fault: Fault | null): void {
    if (!this.routes.some((r) => routeKey(r) === route)) throw new RangeError(`no route "${route}"; routes: ${this.routes.map(routeKey).join(', ')}`);
    if (fault === null) this.faults.delete(route);
    else this.faults.set(route, fault);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  listFaults(): Record<string, Fault> {
    return Object.fromEntries(this.faults);
  }
}
