// The log explorer (/app/logs/): search box and filters (kept in the URL, so the trace page links
// here with ?trace_id=&span_id=), a histogram of matching lines over the range, the lines newest
// first with older pages on demand, each expanding to its attributes and linking to its trace,
// and a live tail (GET /api/v1/logs/live) that inserts lines as they are stored and says when the
// server skipped some.
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { api } from '../lib/api.ts';
import { echarts, themeColors, type EChart } from '../lib/echarts.ts';
import { LiveConnection, type LiveStatus } from '../lib/live.ts';
import {
  formatTs,
  histogramPath,
  LEVELS,
  levelOf,
  livePath,
  logViewSearch,
  mergeLive,
  RANGES,
  readLogView,
  readPickedRange,
  searchPath,
  traceUrl,
  type LogHistogramResponse,
  type LogSearchResponse,
  type LogTailMessage,
  type LogView,
  type PickedRange,
  type ShownLine,
} from '../lib/logs.ts';
import { AppShell } from './AppShell.tsx';

/** Lines kept on screen while tailing; older ones drop off the bottom. */
const MAX_LIVE_LINES = 1000;
const LEVEL_CLASS: Record<string, string> = { warn: 's-warning', error: 's-critical', fatal: 's-critical' };

function Histogram({ data, onPick }: { data: LogHistogramResponse | null; onPick: (from: number, to: number) => void }) {
  const el = useRef<HTMLDivElement>(null);
  const chart = useRef<EChart | null>(null);
  const pick = useRef(onPick);
  pick.current = onPick;
  const step = useRef(0);
  step.current = data?.stepMs ?? 0;
  useEffect(() => {
    const c = echarts.init(el.current!, null, { renderer: 'canvas' });
    chart.current = c;
    c.on('click', (p) => {
      // Bars sit at their bucket's middle; a click narrows the range to that bucket.
      const mid = (p.value as [number, number])[0];
      if (step.current) pick.current(mid - step.current / 2, mid + step.current / 2);
    });
    const resize = () => c.resize();
    addEventListener('resize', resize);
    return () => {
      removeEventListener('resize', resize);
      c.dispose();
    };
  }, []);
  useEffect(() => {
    if (!chart.current) return;
    if (!data) {
      // A failed search: no bars from the one before.
      chart.current.clear();
      el.current!.dataset.total = '';
      el.current!.dataset.tallest = '';
      return;
    }
    const t = themeColors();
    chart.current.setOption({
      animation: false,
      grid: { left: 8, right: 12, top: 10, bottom: 4, containLabel: true },
      tooltip: { trigger: 'axis', backgroundColor: t.panel, borderColor: t.border, textStyle: { color: t.text } },
      xAxis: { type: 'time', min: data.from, max: data.to, axisLabel: { color: t.muted } },
      yAxis: { type: 'value', minInterval: 1, axisLabel: { color: t.muted }, splitLine: { lineStyle: { color: t.border } } },
      series: [{ type: 'bar', name: 'lines', data: data.buckets.map((b) => [b.ts + data.stepMs / 2, b.count]), barWidth: '90%', itemStyle: { color: t.accent } }],
    });
    // What was drawn, on the element: the total, and the pixel inside the tallest bar (the e2e
    // test reads the canvas there).
    const div = el.current!;
    const tallest = data.buckets.reduce((m, b) => (b.count > m.count ? b : m), { ts: 0, count: 0 });
    div.dataset.total = String(data.buckets.reduce((n, b) => n + b.count, 0));
    div.dataset.step = String(data.stepMs);
    const at = tallest.count ? (chart.current.convertToPixel({ seriesIndex: 0 }, [tallest.ts + data.stepMs / 2, tallest.count / 2]) as number[] | undefined) : undefined;
    div.dataset.tallest = at ? `${tallest.ts},${tallest.count},${at.map(Math.round).join(',')}` : '';
  }, [data]);
  return <div ref={el} className="chart" style={{ height: 140 }} data-histogram aria-label="Matching lines over time" />;
}

function Line({ line }: { line: ShownLine }) {
  const [open, setOpen] = useState(false);
  const level = line.level || levelOf(line.severity);
  return (
    <li className="log-line" data-line={line.key} data-ts={line.ts}>
      <button type="button" className="log-summary" aria-expanded={open} onClick={() => setOpen(!open)}>
        <span className="muted small mono">{formatTs(line.ts)}</span> <span className={`badge ${LEVEL_CLASS[levelOf(line.severity)] ?? ''}`}>{level || '–'}</span>{' '}
        <span className="small">{line.service}</span> <span className="mono log-message">{line.message}</span>
        {line.truncated && <span className="muted small"> (truncated)</span>}
      </button>
      {open && (
        <div className="log-detail small" data-attributes>
          <table>
            <tbody>
              {line.traceId && (
                <tr>
                  <th>trace</th>
                  <td className="mono">
                    <a href={traceUrl(line.traceId, line.spanId)} data-trace-link>
                      {line.traceId}
                    </a>
                    {line.spanId && <span className="muted"> span {line.spanId}</span>}
                  </td>
                </tr>
              )}
              {Object.entries(line.attributes).map(([k, v]) => (
                <tr key={k}>
                  <th className="mono">{k}</th>
                  <td className="mono">{typeof v === 'string' ? v : JSON.stringify(v)}</td>
                </tr>
              ))}
              {line.droppedAttributes > 0 && (
                <tr>
                  <td colSpan={2} className="muted">
                    {line.droppedAttributes} attributes left out (docs/limits.md)
                  </td>
                </tr>
              )}
            </tbody>
          </table>
        </div>
      )}
    </li>
  );
}

function Explorer() {
  const [view, setView] = useState<LogView>(() => readLogView(location.search));
  const [draft, setDraft] = useState<LogView>(view);
  const [range, setRangeState] = useState<PickedRange | null>(() => readPickedRange(location.search));
  const [lines, setLines] = useState<ShownLine[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [hist, setHist] = useState<LogHistogramResponse | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [live, setLive] = useState(false);
  const [status, setStatus] = useState<LiveStatus>('closed');
  const [skipped, setSkipped] = useState<{ count: number; from: number; to: number } | null>(null);
  const seq = useRef(0);
  // The range the first page was searched over: older pages continue that search.
  const searched = useRef<PickedRange>({ from: 0, to: 0 });

  const apply = (v: LogView, r: PickedRange | null = null) => {
    history.replaceState(null, '', `${location.pathname}${logViewSearch(v, r)}`);
    setView(v);
    setDraft(v);
    setRangeState(r);
  };
  // A range picked from the histogram (or the skipped notice) is kept in the URL as well.
  const setRange = (r: PickedRange | null) => apply(view, r);

  // Search and histogram: on every change of the filters or the range.
  useEffect(() => {
    const ac = new AbortController();
    const to = range?.to ?? Date.now();
    const from = range?.from ?? to - RANGES[view.range]!;
    setLoading(true);
    setError(null);
    Promise.all([api<LogSearchResponse>(searchPath(view, from, to), { signal: ac.signal }), api<LogHistogramResponse>(histogramPath(view, from, to), { signal: ac.signal })])
      .then(([s, h]) => {
        searched.current = { from, to };
        setLines(s.lines.map((l) => ({ ...l, key: l.id })));
        setCursor(s.nextCursor);
        setHist(h);
        setLoading(false);
      })
      .catch((e: Error) => {
        if (ac.signal.aborted) return;
        // No stale lines under an error: what is shown would not be what was asked for.
        setLines([]);
        setCursor(null);
        setHist(null);
        setError(e.message);
        setLoading(false);
      });
    return () => ac.abort();
  }, [view, range]);

  // Live tail: only while toggled on; the server filters by service, level and words, the trace
  // and span filters are applied here.
  useEffect(() => {
    if (!live) return;
    setSkipped(null);
    const conn = new LiveConnection<LogTailMessage>(
      livePath(view),
      (m) => {
        if (m.type === 'lines') {
          const mine = m.lines.filter((l) => (!view.traceId || l.traceId === view.traceId) && (!view.spanId || l.spanId === view.spanId));
          setLines((list) => mergeLive(list, mine.map((l) => ({ ...l, key: `live-${++seq.current}` })), MAX_LIVE_LINES));
        } else if (m.type === 'skipped') setSkipped((s) => ({ count: (s?.count ?? 0) + m.count, from: Math.min(s?.from ?? m.from, m.from), to: Math.max(s?.to ?? m.to, m.to) }));
        else if (m.type === 'error') setError(m.message);
      },
      setStatus,
    );
    return () => conn.close();
  }, [live, view]);

  const older = async () => {
    if (!cursor) return;
    const { from, to } = searched.current;
    try {
      const s = await api<LogSearchResponse>(searchPath(view, from, to, cursor));
      setLines((list) => [...list, ...s.lines.map((l) => ({ ...l, key: l.id }))]);
      setCursor(s.nextCursor);
    } catch (e) {
      setError((e as Error).message);
    }
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    apply(draft);
  };
  const set = (k: keyof LogView) => (e: { target: { value: string } }) => setDraft({ ...draft, [k]: e.target.value });

  return (
    <>
      <h1>Logs</h1>
      <form className="row group" onSubmit={submit} role="search">
        <input type="search" value={draft.q} onChange={set('q')} placeholder='words, "a phrase", a OR b, -not' aria-label="Search" style={{ flex: '1 1 260px' }} />
        <input value={draft.service} onChange={set('service')} placeholder="service" aria-label="Service" style={{ width: 140 }} />
        <select value={draft.level} onChange={set('level')} aria-label="Level and above">
          <option value="">any level</option>
          {LEVELS.map((l) => (
            <option key={l} value={l}>
              {l} and above
            </option>
          ))}
        </select>
        <select value={draft.range} onChange={set('range')} aria-label="Range">
          {Object.keys(RANGES).map((r) => (
            <option key={r} value={r}>
              last {r}
            </option>
          ))}
        </select>
        <button type="submit" className="primary">
          Search
        </button>
        <label className="row small">
          <input type="checkbox" checked={live} onChange={(e) => setLive(e.target.checked)} data-live-toggle /> Live tail
          {live && <span className="live-dot" data-status={status} title={status} style={status === 'open' ? { background: 'var(--ok)' } : undefined} />}
        </label>
      </form>
      {(view.traceId || view.spanId || range) && (
        <div className="row small group">
          {view.traceId && (
            <span className="chip" data-chip="trace">
              trace <a href={traceUrl(view.traceId, view.spanId || null)}>{view.traceId}</a>
              <button type="button" aria-label="Clear the trace filter" onClick={() => apply({ ...view, traceId: '', spanId: '' })}>
                ×
              </button>
            </span>
          )}
          {view.spanId && (
            <span className="chip" data-chip="span">
              span {view.spanId}
              <button type="button" aria-label="Clear the span filter" onClick={() => apply({ ...view, spanId: '' })}>
                ×
              </button>
            </span>
          )}
          {range && (
            <span className="chip" data-chip="range">
              {formatTs(range.from)} – {formatTs(range.to)}
              <button type="button" aria-label="Back to the whole range" onClick={() => setRange(null)}>
                ×
              </button>
            </span>
          )}
        </div>
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <section className="panel group">
        <Histogram data={hist} onPick={(from, to) => setRange({ from, to })} />
      </section>
      {skipped && (
        <p className="notice small" data-skipped={skipped.count}>
          The live tail skipped {skipped.count} lines ({formatTs(skipped.from)} – {formatTs(skipped.to)}) to keep up; they are stored:{' '}
          <button type="button" onClick={() => setRange({ from: Math.floor(skipped.from), to: Math.ceil(skipped.to) + 1 })}>
            search them
          </button>
        </p>
      )}
      <section className="panel">
        {loading && lines.length === 0 ? (
          <p className="muted">Searching…</p>
        ) : lines.length === 0 ? (
          !error && (
            <p className="empty" data-no-lines>
              No lines match. Send logs with OTLP (<code>/v1/logs</code>) or a log shipper (<code>/api/v1/logs</code>, docs/logs.md).
            </p>
          )
        ) : (
          <ul className="log-list" data-lines>
            {lines.map((l) => (
              <Line key={l.key} line={l} />
            ))}
          </ul>
        )}
        {cursor && (
          <button type="button" onClick={() => void older()} data-older>
            Older lines
          </button>
        )}
      </section>
    </>
  );
}

export default function LogExplorerPage() {
  return (
    <AppShell eager>
      <Explorer />
    </AppShell>
  );
}
