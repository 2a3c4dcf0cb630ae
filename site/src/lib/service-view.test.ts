import { describe, expect, it } from 'vitest';
import type { RouteRow } from './apm.ts';
import { nextSort, readServiceView, serviceHref, serviceViewSearch, sortRoutes } from './service-view.ts';

const row = (route: string, requests: number, p95: number | null, errorRate = 0): RouteRow => ({ route, requests, errors: Math.round(requests * errorRate), errorRate, rps: requests / 60, p50: p95, p95, p99: p95 });

describe('the service view in the URL', () => {
  it('reads the name, a range (15 m by default, the short ones allowed) and the route', () => {
    expect(readServiceView('?name=checkout')).toEqual({ name: 'checkout', range: { kind: 'preset', preset: '15m' }, route: null });
    expect(readServiceView('?name=checkout&range=5m&route=GET%20%2Fusers%2F%7Bid%7D')).toEqual({ name: 'checkout', range: { kind: 'preset', preset: '5m' }, route: 'GET /users/{id}' });
    expect(readServiceView('?name=a&from=1000&to=2000').range).toEqual({ kind: 'custom', from: 1000, to: 2000 });
    expect(readServiceView('?name=a&range=toString').range).toEqual({ kind: 'preset', preset: '15m' });
    expect(readServiceView('?range=24h').name).toBeNull();
  });

  it('writes what it reads (round trip), keeping the route across range changes', () => {
    for (const v of [
      { name: 'checkout', range: { kind: 'preset', preset: '1h' }, route: 'POST /cart' },
      { name: 'a b&c', range: { kind: 'custom', from: 1000, to: 5000 }, route: null },
    ] as const) {
      expect(readServiceView(serviceViewSearch(v))).toEqual(v);
    }
    expect(serviceHref('my svc')).toBe('/app/service/?name=my+svc&range=15m');
  });
});

describe('sorting the route table', () => {
  const rows = [row('/b', 10, 30), row('/a', 50, 20, 0.1), row('/c', 30, null)];

  it('sorts by a number either way, routes without a percentile last', () => {
    expect(sortRoutes(rows, { key: 'requests', dir: 'desc' }).map((r) => r.route)).toEqual(['/a', '/c', '/b']);
    expect(sortRoutes(rows, { key: 'requests', dir: 'asc' }).map((r) => r.route)).toEqual(['/b', '/c', '/a']);
    expect(sortRoutes(rows, { key: 'p95', dir: 'desc' }).map((r) => r.route)).toEqual(['/b', '/a', '/c']);
    expect(sortRoutes(rows, { key: 'p95', dir: 'asc' }).map((r) => r.route)).toEqual(['/a', '/b', '/c']);
    expect(sortRoutes(rows, { key: 'errorRate', dir: 'desc' })[0]!.route).toBe('/a');
    expect(sortRoutes(rows, { key: 'route', dir: 'asc' }).map((r) => r.route)).toEqual(['/a', '/b', '/c']);
    expect(rows.map((r) => r.route)).toEqual(['/b', '/a', '/c']); // a copy
  });

  it('flips the direction on the same column; a new column starts descending, the route name A to Z', () => {
    expect(nextSort({ key: 'rps', dir: 'desc' }, 'rps')).toEqual({ key: 'rps', dir: 'asc' });
    expect(nextSort({ key: 'rps', dir: 'asc' }, 'p99')).toEqual({ key: 'p99', dir: 'desc' });
    expect(nextSort({ key: 'rps', dir: 'desc' }, 'route')).toEqual({ key: 'route', dir: 'asc' });
  });
});
