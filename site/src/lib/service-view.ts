// The service page's state in the URL (?name=&range=|from=&to=&route=), so a view can be shared
// and the back button walks through it; and the per-route table's sort.
import type { RouteRow } from './apm.ts';
import { readRange, SERVICE_PRESETS, type Range } from './range.ts';

export interface ServiceView {
  name: string | null;
  range: Range;
  /** Charts filtered to one route; null = the whole service. */
  route: string | null;
}

export function readServiceView(search: string): ServiceView {
  const p = new URLSearchParams(search);
  return { name: p.get('name') || null, range: readRange(search, SERVICE_PRESETS, '15m'), route: p.get('route') || null };
}

export function serviceViewSearch(v: ServiceView): string {
  const p = new URLSearchParams();
  if (v.name) p.set('name', v.name);
  if (v.range.kind === 'preset') p.set('range', v.range.preset);
  else {
    p.set('from', String(Math.round(v.range.from)));
    p.set('to', String(Math.round(v.range.to)));
  }
  if (v.route) p.set('route', v.route);
  return `?${p}`;
}

export const serviceHref = (name: string, extra: Partial<Omit<ServiceView, 'name'>> = {}) =>
  `/app/service/${serviceViewSearch({ name, range: extra.range ?? { kind: 'preset', preset: '15m' }, route: extra.route ?? null })}`;

export type RouteSortKey = 'route' | 'rps' | 'errorRate' | 'p50' | 'p95' | 'p99' | 'requests';
export interface RouteSort {
  key: RouteSortKey;
  dir: 'asc' | 'desc';
}

/** Sorted copy; routes without a percentile (no requests timed) go last either way. */
export function sortRoutes(rows: RouteRow[], s: RouteSort): RouteRow[] {
  const sign = s.dir === 'asc' ? 1 : -1;
  return [...rows].sort((a, b) => {
    if (s.key === 'route') return sign * a.route.localeCompare(b.route);
    const x = a[s.key];
    const y = b[s.key];
    if (x === null || y === null) return x === y ? a.route.localeCompare(b.route) : x === null ? 1 : -1;
    return sign * (x - y) || a.route.localeCompare(b.route);
  });
}

/** A header click: the same column flips its direction; a new one starts descending (busiest,
 * slowest first), except the route name, which starts A→Z. */
export function nextSort(cur: RouteSort, key: RouteSortKey): RouteSort {
  if (cur.key === key) return { key, dir: cur.dir === 'asc' ? 'desc' : 'asc' };
  return { key, dir: key === 'route' ? 'asc' : 'desc' };
}
