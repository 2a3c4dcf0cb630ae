// The per-route table of a service: a header click sorts (again: the other way), a route click
// filters the page's charts to that route (kept in the URL as &route=); "traces" opens the trace
// search for the route.
import { useState } from 'react';
import type { RouteRow } from '../lib/apm.ts';
import { formatErrorRate, formatValue } from '../lib/format.ts';
import { nextSort, sortRoutes, type RouteSort, type RouteSortKey } from '../lib/service-view.ts';
import { searchHref } from '../lib/traces.ts';

const COLS: { key: RouteSortKey; title: string; num: boolean; phone?: boolean }[] = [
  { key: 'route', title: 'Route', num: false },
  { key: 'rps', title: 'Req/s', num: true },
  { key: 'errorRate', title: 'Errors', num: true },
  { key: 'p50', title: 'P50', num: true, phone: false },
  { key: 'p95', title: 'P95', num: true },
  { key: 'p99', title: 'P99', num: true, phone: false },
  { key: 'requests', title: 'Requests', num: true, phone: false },
];

function cell(r: RouteRow, key: RouteSortKey): string {
  switch (key) {
    case 'route':
      return r.route;
    case 'rps':
      return formatValue(r.rps, 'req/s');
    case 'errorRate':
      return formatErrorRate(r.errorRate);
    case 'requests':
      return formatValue(r.requests, 'count');
    default:
      return formatValue(r[key], 'latency');
  }
}

export function RouteTable({ rows, selected, onSelect, service }: { rows: RouteRow[]; selected: string | null; onSelect: (route: string | null) => void; service?: string }) {
  const [sort, setSort] = useState<RouteSort>({ key: 'requests', dir: 'desc' });
  const sorted = sortRoutes(rows, sort);
  return (
    <div className="table-wrap">
      <table data-route-table data-sort={`${sort.key}:${sort.dir}`}>
        <thead>
          <tr>
            {COLS.map((c) => (
              <th key={c.key} className={c.phone === false ? 'hide-phone' : undefined} aria-sort={sort.key === c.key ? (sort.dir === 'asc' ? 'ascending' : 'descending') : 'none'} style={c.num ? { textAlign: 'right' } : undefined}>
                <button type="button" className="th-sort" onClick={() => setSort(nextSort(sort, c.key))}>
                  {c.title}
                  <span aria-hidden="true">{sort.key === c.key ? (sort.dir === 'asc' ? ' ▲' : ' ▼') : ''}</span>
                </button>
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {sorted.map((r) => (
            <tr key={r.route} data-route={r.route} className={r.route === selected ? "selected" : undefined}>
              {COLS.map((c) =>
                c.key === 'route' ? (
                  <td key={c.key}>
                    <button type="button" className="link" onClick={() => onSelect(r.route === selected ? null : r.route)} title={r.route === selected ? 'Show the whole service' : 'Show only this route in the charts'}>
                      {r.route}
                    </button>
                    {service && (
                      <a className="small" style={{ marginLeft: 8 }} href={searchHref({ service, route: r.route })} data-route-traces title={`Stored traces of ${r.route}`}>
                        traces
                      </a>
                    )}
                  </td>
                ) : (
                  <td key={c.key} className={c.phone === false ? 'hide-phone' : undefined} data-col={c.key} style={{ textAlign: 'right', fontVariantNumeric: 'tabular-nums' }}>
                    {cell(r, c.key)}
                  </td>
                ),
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
