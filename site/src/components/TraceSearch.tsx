// The trace search (/app/traces/?service=&route=&min_duration=&error=&range=): stored entry spans
// (server and root spans) newest first, each row opening its trace; "More" follows the cursor.
// The filters live in the URL, so the route table and the trace page can link here.
import { useEffect, useState } from 'react';
import { api, qs } from '../lib/api.ts';
import { formatValue } from '../lib/format.ts';
import { useApi } from '../lib/hooks.ts';
import { ERROR_COLOR, traceHref, type TraceSearchResponse, type TraceSummary } from '../lib/traces.ts';
import type { ServiceSummary } from '../lib/apm.ts';
import { AppShell } from './AppShell.tsx';

const RANGES: Record<string, number> = { '15m': 15 * 60_000, '1h': 3600_000, '6h': 6 * 3600_000, '24h': 86_400_000, '7d': 7 * 86_400_000 };

interface Filters {
  service: string;
  route: string;
  min_duration: string;
  error: string;
  range: string;
}

function readFilters(): Filters {
  const p = new URLSearchParams(location.search);
  const range = p.get('range') ?? '1h';
  return { service: p.get('service') ?? '', route: p.get('route') ?? '', min_duration: p.get('min_duration') ?? '', error: p.get('error') ?? '', range: range in RANGES ? range : '1h' };
}

function Results({ filters }: { filters: Filters }) {
  const [rows, setRows] = useState<TraceSummary[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const base = () => {
    const now = Date.now();
    return qs({ service: filters.service, route: filters.route, min_duration: filters.min_duration, error: filters.error, from: now - RANGES[filters.range]!, to: now });
  };
  const [query, setQuery] = useState(base);
  const load = (q: string, after: string | null) => {
    setLoading(true);
    api<TraceSearchResponse>(`/api/v1/traces?${q}${after ? `&cursor=${encodeURIComponent(after)}` : ''}`)
      .then((r) => {
        setRows((prev) => (after ? [...prev, ...r.spans] : r.spans));
        setCursor(r.nextCursor);
        setError(null);
      })
      .catch((e: Error) => setError(e.message))
      .finally(() => setLoading(false));
  };
  useEffect(() => {
    const q = base();
    setQuery(q);
    load(q, null);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [filters]);
  if (error) return <p className="error" role="alert">{error}</p>;
  return (
    <>
      <div className="table-wrap">
        <table data-trace-results>
          <thead>
            <tr>
              <th style={{ textAlign: 'left' }}>Time</th>
              <th style={{ textAlign: 'left' }}>Service</th>
              <th style={{ textAlign: 'left' }}>Route or span</th>
              <th style={{ textAlign: 'right' }}>Duration</th>
              <th style={{ textAlign: 'left' }} className="hide-phone">Kept</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={`${r.traceId}:${r.spanId}`} data-trace={r.traceId}>
                <td className="small">{new Date(r.startUs / 1000).toLocaleString()}</td>
                <td>{r.service}</td>
                <td>
                  <a href={traceHref(r.traceId, r.spanId)}>{r.route ?? r.name}</a>
                  {r.error && (
                    <span className="badge" style={{ color: ERROR_COLOR, marginLeft: 6 }}>
                      error
                    </span>
                  )}
                </td>
                <td style={{ textAlign: 'right', fontVariantNumeric: 'tabular-nums' }}>{formatValue(r.durationMs, 'latency')}</td>
                <td className="muted small hide-phone">{r.kept}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {!loading && rows.length === 0 && <div className="empty">No stored traces match. Traces are kept 7 days; see which are kept in docs/traces.md.</div>}
      {loading && <div className="skeleton" style={{ height: 60 }} aria-busy="true" aria-label="Loading" />}
      {cursor && !loading && (
        <button type="button" onClick={() => load(query, cursor)}>
          More
        </button>
      )}
    </>
  );
}

function SearchView() {
  const [filters, setFilters] = useState<Filters>(readFilters);
  const [draft, setDraft] = useState<Filters>(filters);
  const services = useApi<{ services: ServiceSummary[] }>('/api/v1/services');
  useEffect(() => {
    const onPop = () => {
      const f = readFilters();
      setFilters(f);
      setDraft(f);
    };
    addEventListener('popstate', onPop);
    return () => removeEventListener('popstate', onPop);
  }, []);
  const apply = (f: Filters) => {
    const p = new URLSearchParams(Object.entries(f).filter(([k, v]) => v !== '' && !(k === 'range' && v === '1h')));
    history.pushState(null, '', `${location.pathname}${p.size ? `?${p}` : ''}`);
    setFilters(f);
  };
  const field = (k: keyof Filters) => ({ value: draft[k], onChange: (e: { target: { value: string } }) => setDraft({ ...draft, [k]: e.target.value }) });
  return (
    <>
      <h1>Traces</h1>
      <form
        className="row panel"
        style={{ marginBottom: 14 }}
        onSubmit={(e) => {
          e.preventDefault();
          apply(draft);
        }}
      >
        <label className="row small">
          Service
          <select {...field('service')} aria-label="Service">
            <option value="">all</option>
            {(services.data?.services ?? []).map((s) => (
              <option key={s.name} value={s.name}>
                {s.name}
              </option>
            ))}
            {draft.service && !services.data?.services.some((s) => s.name === draft.service) && <option value={draft.service}>{draft.service}</option>}
          </select>
        </label>
        <label className="row small">
          Route
          <input {...field('route')} placeholder="GET /users/{id}" aria-label="Route" />
        </label>
        <label className="row small">
          Slower than (ms)
          <input {...field('min_duration')} inputMode="decimal" size={6} aria-label="Minimum duration in milliseconds" />
        </label>
        <label className="row small">
          Errors
          <select {...field('error')} aria-label="Errors">
            <option value="">any</option>
            <option value="true">errors only</option>
            <option value="false">no errors</option>
          </select>
        </label>
        <label className="row small">
          Range
          <select {...field('range')} aria-label="Range">
            {Object.keys(RANGES).map((r) => (
              <option key={r} value={r}>
                last {r}
              </option>
            ))}
          </select>
        </label>
        <button type="submit">Search</button>
      </form>
      <Results filters={filters} />
    </>
  );
}

export default function TraceSearch() {
  return (
    <AppShell eager>
      <SearchView />
    </AppShell>
  );
}
