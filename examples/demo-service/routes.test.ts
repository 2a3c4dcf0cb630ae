import { describe, expect, it } from 'vitest';
import { planRequests } from './load.ts';
import { Router, routeKey, ROUTES, untraced } from './routes.ts';

// A fixed sequence instead of Math.random, so latencies are reproducible.
function seeded(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('the demo routing table', () => {
  it('matches templates and leaves unknown paths and methods unmatched', () => {
    const r = new Router(ROUTES, seeded(1));
    expect(r.find('GET', '/api/users/42')).toMatchObject({ route: { template: '/api/users/{id}' }, params: { id: '42' } });
    expect(r.find('GET', '/api/users')?.route.template).toBe('/api/users');
    expect(r.find('POST', '/api/orders')?.route.template).toBe('/api/orders');
    expect(r.find('GET', '/api/orders')).toBeNull();
    expect(r.find('GET', '/api/users/42/extra')).toBeNull();
    expect(r.find('DELETE', '/api/users/42')).toBeNull();
  });

  it('fails exactly floor(n × rate) requests of a route, and none of the others', () => {
    const r = new Router(ROUTES, seeded(2));
    const count = (method: string, path: string, n: number) =>
      Array.from({ length: n }, () => r.decide(method, path)!.status).filter((s) => s >= 500).length;
    expect(count('POST', '/api/orders', 20)).toBe(1);
    expect(count('POST', '/api/orders', 180)).toBe(9); // 200 in all: 10
    expect(count('GET', '/api/search', 500)).toBe(0);
  });

  it('answers unknown users 404, which is not a 5xx', () => {
    const r = new Router(ROUTES, seeded(3));
    expect(r.decide('GET', '/api/users/1001')!.status).toBe(404);
    expect(r.decide('GET', '/api/users/7')!.status).toBe(200);
  });

  it('draws latencies around each route’s median, with the search route’s slow tail', () => {
    const r = new Router(ROUTES, seeded(4));
    const lat = (method: string, path: string) => Array.from({ length: 2000 }, () => r.decide(method, path)!.latencyMs).sort((a, b) => a - b);
    const users = lat('GET', '/api/users/5');
    expect(users[1000]!).toBeGreaterThan(17);
    expect(users[1000]!).toBeLessThan(23);
    const search = lat('GET', '/api/search');
    expect(search[1000]!).toBeLessThan(100); // the median is a fast search
    expect(search[1990]!).toBeGreaterThan(800); // the top 0.5 % are the ~1.2 s ones
  });

  it('applies and clears a fault (the switch issue #13 needs)', () => {
    const r = new Router(ROUTES, seeded(5));
    r.setFault('GET /api/users', { extraLatencyMs: 500, errorRate: 1 });
    const o = r.decide('GET', '/api/users')!;
    expect(o.status).toBe(500);
    expect(o.latencyMs).toBeGreaterThan(500);
    expect(r.listFaults()).toEqual({ 'GET /api/users': { extraLatencyMs: 500, errorRate: 1 } });
    r.clearFaults();
    expect(r.decide('GET', '/api/users')!.status).toBe(200);
    expect(() => r.setFault('GET /nope', { errorRate: 1 })).toThrow(/no route "GET \/nope"/);
  });

  it('does not trace the health check or the admin API', () => {
    expect(untraced('/health')).toBe(true);
    expect(untraced('/_demo/faults')).toBe(true);
    expect(untraced('/api/users')).toBe(false);
  });
});

describe('the exact load plan', () => {
  it('makes exactly the requests asked for, each matching its route', () => {
    const counts = Object.fromEntries(ROUTES.map((r, i) => [routeKey(r), 10 + i]));
    const plan = planRequests(counts);
    const r = new Router();
    const seen: Record<string, number> = {};
    for (const p of plan) {
      const found = r.find(p.method, p.path.split('?', 1)[0]!);
      expect(found && routeKey(found.route)).toBe(p.label);
      seen[p.label] = (seen[p.label] ?? 0) + 1;
    }
    expect(seen).toEqual(counts);
    expect(plan.filter((p) => p.label === 'GET /api/users/{id}' && r.decide('GET', p.path)!.status === 404)).toHaveLength(1);
    expect(() => planRequests({ 'GET /nope': 1 })).toThrow(/no route/);
  });
});
