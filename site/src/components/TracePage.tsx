// The trace page (/app/trace/?id=<trace id>&span=<span id>): the stored spans of one trace as a
// waterfall coloured by service (layout: lib/traces.ts), the selected span's attributes, events,
// links and resource, and links to the logs of the trace and of the span (the log explorer at
// /app/logs/), to the service and to the trace search.
import { useState } from 'react';
import { useApi } from '../lib/hooks.ts';
import { formatValue } from '../lib/format.ts';
import { ERROR_COLOR, layoutWaterfall, logsHref, searchHref, type StoredSpan, type TraceResponse } from '../lib/traces.ts';
import { AppShell, Async } from './AppShell.tsx';

const KINDS = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'];
const ms = (v: number) => formatValue(v, 'latency');

function Value({ v }: { v: unknown }) {
  return <code style={{ wordBreak: 'break-all' }}>{typeof v === 'string' ? v : JSON.stringify(v)}</code>;
}

function AttrTable({ attrs, label }: { attrs: Record<string, unknown>; label: string }) {
  // Sorted by key (jsonb keeps no order); keys shown as sent, case and all.
  const entries = Object.entries(attrs).sort((a, b) => a[0].localeCompare(b[0]));
  if (!entries.length) return <p className="muted small">No {label}.</p>;
  return (
    <div className="table-wrap">
      <table data-attrs={label}>
        <tbody>
          {entries.map(([k, v]) => (
            <tr key={k}>
              <th scope="row" style={{ textAlign: 'left', fontWeight: 500, wordBreak: 'break-all', textTransform: 'none', letterSpacing: 'normal', fontSize: '0.85rem', width: '35%' }}>
                {k}
              </th>
              <td>
                <Value v={v} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function SpanDetails({ span, traceStartUs }: { span: StoredSpan; traceStartUs: number }) {
  const d = span.dropped;
  const dropped = d.attributes + d.events + d.links + d.truncated;
  return (
    <section className="panel" aria-labelledby="span-title" data-span-details={span.spanId}>
      <h2 id="span-title">{span.name}</h2>
      <p className="row small">
        <span>{span.service}</span>
        <span className="muted">{KINDS[span.kind] ?? span.kind}</span>
        <span>{ms(span.durationMs)}</span>
        <span className="muted">at +{ms((span.startUs - traceStartUs) / 1000)}</span>
        {span.error && (
          <span className="badge" style={{ color: ERROR_COLOR }}>
            error{span.statusMessage && `: ${span.statusMessage}`}
          </span>
        )}
        <span className="muted">kept: {span.kept}</span>
        <span className="muted">span {span.spanId}</span>
      </p>
      <p className="row small">
        <a href={logsHref(span.traceId, span.spanId)} data-logs-link="span">
          Logs of this span
        </a>
        {span.route && <a href={`/app/service/?${new URLSearchParams({ name: span.service, route: span.route })}`}>{span.route} on the service page</a>}
        {span.route && <a href={searchHref({ service: span.service, route: span.route })}>Other traces of {span.route}</a>}
      </p>
      {dropped > 0 && (
        <p className="muted small" data-dropped>
          Capped when stored (docs/limits.md): {d.attributes} attributes and {d.events} events and {d.links} links dropped, {d.truncated} values cut (marked …).
        </p>
      )}
      <h3>Attributes</h3>
      <AttrTable attrs={span.attributes} label="attributes" />
      <h3>Events</h3>
      {span.events.length === 0 ? (
        <p className="muted small">No events.</p>
      ) : (
        <ul data-events>
          {span.events.map((e, i) => (
            <li key={i}>
              <strong>{e.name}</strong> <span className="muted small">+{ms((e.timeUs - traceStartUs) / 1000)}</span>
              {Object.keys(e.attributes).length > 0 && <AttrTable attrs={e.attributes} label="event attributes" />}
            </li>
          ))}
        </ul>
      )}
      {span.links.length > 0 && (
        <>
          <h3>Links</h3>
          <ul>
            {span.links.map((l, i) => (
              <li key={i}>
                <a href={`/app/trace/?${new URLSearchParams({ id: l.traceId, span: l.spanId })}`}>
                  trace {l.traceId} span {l.spanId}
                </a>
              </li>
            ))}
          </ul>
        </>
      )}
      <h3>Resource</h3>
      <AttrTable attrs={span.resource} label="resource" />
    </section>
  );
}

function Waterfall({ trace, selected, onSelect }: { trace: TraceResponse; selected: string | null; onSelect: (id: string) => void }) {
  const w = layoutWaterfall(trace.spans);
  return (
    <section className="panel" aria-label="Waterfall">
      <p className="row small" data-legend>
        {w.services.map((s) => (
          <span key={s.name} className="row" style={{ gap: 4 }}>
            <span aria-hidden="true" style={{ width: 10, height: 10, borderRadius: 2, background: s.color, display: 'inline-block' }} />
            {s.name}
          </span>
        ))}
        <span className="muted">· {ms(w.totalMs)} · {trace.spans.length} spans{trace.truncated && ' (first 2,000 only)'}</span>
      </p>
      <div data-waterfall>
        {w.rows.map((r) => (
          <button
            key={r.span.spanId}
            type="button"
            className={r.span.spanId === selected ? 'wf-row selected' : 'wf-row'}
            data-span={r.span.spanId}
            data-depth={r.depth}
            onClick={() => onSelect(r.span.spanId)}
            title={`${r.span.service} · ${r.span.name} · ${ms(r.span.durationMs)}${r.missingParent ? ' · its parent span is not stored' : ''}`}
            style={{ display: 'grid', gridTemplateColumns: 'minmax(140px, 35%) 1fr 64px', gap: 8, width: '100%', alignItems: 'center', background: r.span.spanId === selected ? 'var(--bg)' : 'none', border: 'none', padding: '2px 0', textAlign: 'left', cursor: 'pointer' }}
          >
            <span className="small" style={{ paddingLeft: r.depth * 12, overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' }}>
              {r.missingParent && <span className="muted">… </span>}
              <span style={{ color: r.color }}>●</span> {r.span.name}
            </span>
            <span style={{ position: 'relative', height: 14 }}>
              <span
                data-bar
                style={{
                  position: 'absolute',
                  left: `${r.offsetPct}%`,
                  width: `max(${r.widthPct}%, 2px)`,
                  top: 2,
                  bottom: 2,
                  background: r.color,
                  borderRadius: 2,
                  outline: r.span.error ? `2px solid ${ERROR_COLOR}` : undefined,
                }}
              />
            </span>
            <span className="muted small" style={{ textAlign: 'right', fontVariantNumeric: 'tabular-nums' }}>
              {ms(r.span.durationMs)}
            </span>
          </button>
        ))}
      </div>
    </section>
  );
}

function TraceView() {
  const params = new URLSearchParams(location.search);
  const id = (params.get('id') ?? '').toLowerCase();
  const [selected, setSelected] = useState<string | null>(params.get('span'));
  const state = useApi<TraceResponse>(/^[0-9a-f]{32}$/.test(id) ? `/api/v1/traces/${id}` : null);
  const select = (spanId: string) => {
    const p = new URLSearchParams(location.search);
    p.set('span', spanId);
    history.replaceState(null, '', `${location.pathname}?${p}`);
    setSelected(spanId);
  };
  if (!/^[0-9a-f]{32}$/.test(id))
    return (
      <p className="error" role="alert">
        No trace id in the address (?id= and 32 hex digits). <a href="/app/traces/">Search traces</a>
      </p>
    );
  return (
    <>
      <div className="row">
        <h1 style={{ marginRight: 'auto' }}>Trace</h1>
        <a href={logsHref(id)} data-logs-link="trace">
          Logs of this trace
        </a>
        <a href="/app/traces/">Search traces</a>
      </div>
      <p className="muted small">
        <code>{id}</code>
      </p>
      <Async state={state}>
        {(t) => {
          const span = t.spans.find((s) => s.spanId === selected) ?? t.spans.find((s) => s.parentSpanId === '') ?? t.spans[0]!;
          return (
            <div style={{ display: 'grid', gap: 14 }}>
              <Waterfall trace={t} selected={span.spanId} onSelect={select} />
              <SpanDetails span={span} traceStartUs={Math.min(...t.spans.map((s) => s.startUs))} />
            </div>
          );
        }}
      </Async>
    </>
  );
}

export default function TracePage() {
  return (
    <AppShell eager>
      <TraceView />
    </AppShell>
  );
}
