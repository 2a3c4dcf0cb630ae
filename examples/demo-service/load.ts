// The demo's load generator: a steady open-loop rate over a weighted mix of the routes (for the
// live demo), or an exact number of requests per route (for tests). Plain fetch, no telemetry:
// the demo service's own spans are what the product sees.
import { ROUTES, routeKey, type RouteSpec } from './routes.ts';

export interface PlannedRequest {
  /** What to count it under: the route key, or the path for a request outside the table. */
  label: string;
  method: string;
  path: string;
  body?: string;
}

/** The i-th request to a route: concrete ids, every tenth user id unknown (a 404). */
export function requestFor(route: RouteSpec, i: number): PlannedRequest {
  const label = routeKey(route);
  let path = route.template;
  if (path === '/api/users/{id}') path = path.replace('{id}', String(i % 10 === 9 ? 1001 + i : 1 + ((i * 7919) % 1000)));
  else if (path === '/api/search') path = `${path}?q=term${i % 50}`;
  else path = path.replace(/\{\w+\}/g, String(1 + (i % 500)));
  const body = route.method === 'POST' ? JSON.stringify({ item: `sku-${i % 20}`, quantity: 1 + (i % 3) }) : undefined;
  return { label, method: route.method, path, ...(body ? { body } : {}) };
}

/** Exactly counts[routeKey] requests per route, interleaved round-robin. */
export function planRequests(counts: Record<string, number>, routes: RouteSpec[] = ROUTES): PlannedRequest[] {
  for (const key of Object.keys(counts)) if (!routes.some((r) => routeKey(r) === key)) throw new RangeError(`no route "${key}"`);
  const queues = routes.map((r) => Array.from({ length: counts[routeKey(r)] ?? 0 }, (_, i) => requestFor(r, i)));
  const out: PlannedRequest[] = [];
  for (let i = 0; queues.some((q) => i < q.length); i++) for (const q of queues) if (i < q.length) out.push(q[i]!);
  return out;
}

async function send(baseUrl: string, r: PlannedRequest): Promise<number> {
  const res = await fetch(`${baseUrl}${r.path}`, {
    method: r.method,
    ...(r.body ? { body: r.body, headers: { 'content-type': 'application/json' } } : {}),
  });
  await res.arrayBuffer();
  return res.status;
}

/** Per label, how many answers had each status. */
export type StatusCounts = Record<string, Record<number, number>>;

/** Sends every request, `concurrency` at a time; a request that fails to connect throws. */
export async function runRequests(baseUrl: string, requests: PlannedRequest[], concurrency = 16): Promise<StatusCounts> {
  const out: StatusCounts = {};
  let next = 0;
  const worker = async () => {
    while (next < requests.length) {
      const r = requests[next++]!;
      const status = await send(baseUrl, r);
      const byStatus = (out[r.label] ??= {});
      byStatus[status] = (byStatus[status] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, requests.length) }, worker));
  return out;
}

/** Weights of the live mix: mostly user reads, some orders, searches with their slow tail. */
export const MIX: Record<string, number> = {
  'GET /api/users/{id}': 40,
  'GET /api/users': 10,
  'POST /api/orders': 15,
  'GET /api/orders/{id}': 15,
  'GET /api/search': 20,
};

export interface SteadyLoad {
  /** Requests answered and 5xx answers since the last call. */
  take(): { requests: number; serverErrors: number; failed: number };
  stop(): Promise<void>;
}

/** `rps` requests a second over MIX, open loop (a slow answer does not slow the rate), until stopped. */
export function startSteadyLoad(baseUrl: string, rps: number, mix: Record<string, number> = MIX, routes: RouteSpec[] = ROUTES): SteadyLoad {
  const weighted = routes.filter((r) => (mix[routeKey(r)] ?? 0) > 0);
  const total = weighted.reduce((s, r) => s + mix[routeKey(r)]!, 0);
  if (!(rps > 0) || total === 0) throw new RangeError('the load needs a positive rate and a route with weight');
  const seq = new Map<RouteSpec, number>();
  const inFlight = new Set<Promise<void>>();
  let stats = { requests: 0, serverErrors: 0, failed: 0 };
  const pick = () => {
    let x = Math.random() * total;
    for (const r of weighted) if ((x -= mix[routeKey(r)]!) < 0) return r;
    return weighted[weighted.length - 1]!;
  };
  const fire = () => {
    if (inFlight.size >= 256) return; // the demo is overwhelmed: do not pile on
    const route = pick();
    const i = seq.get(route) ?? 0;
    seq.set(route, i + 1);
    const p = send(baseUrl, requestFor(route, i)).then(
      (status) => {
        stats.requests++;
        if (status >= 500) stats.serverErrors++;
      },
      () => void stats.failed++,
    );
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  };
  const started = Date.now();
  let sent = 0;
  // Catch up to rps × elapsed every 20 ms: steady on average whatever the timer's jitter.
  const timer = setInterval(() => {
    const due = Math.floor(((Date.now() - started) / 1000) * rps);
    for (; sent < due; sent++) fire();
  }, 20);
  return {
    take() {
      const s = stats;
      stats = { requests: 0, serverErrors: 0, failed: 0 };
      return s;
    },
    async stop() {
      clearInterval(timer);
      await Promise.all(inFlight);
    },
  };
}
