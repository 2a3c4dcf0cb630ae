// One chart of the service page. Drawn in full on a reset (history, a new series); afterwards a
// change only hands ECharts the changed lines and the sliding axis (setOption merge by id). The
// charts of a page share one cursor (lib/cursor.ts): hovering one shows the same instant on all.
// Dragging across the plot selects a time range (onZoom). Anomaly periods of the chart's signals are
// marked areas on an empty series of their own (lib/anomaly-areas.ts), for the whole service only.
import { useEffect, useRef } from 'react';
import { anomalyAreas, markAreaData } from '../lib/anomaly-areas.ts';
import { joinCursor } from '../lib/cursor.ts';
import { releaseDeferred, useReady } from '../lib/defer.ts';
import { echarts, themeColors, type EChart } from '../lib/echarts.ts';
import { formatValue } from '../lib/format.ts';
import type { ChartLine, ServiceChartSpec } from '../lib/service-panels.ts';
import type { ServiceStore, StoreChange } from '../lib/service-store.ts';

interface Props {
  spec: ServiceChartSpec;
  store: ServiceStore;
  from: number;
  to: number;
  live: boolean;
  group: string;
  onZoom?: (from: number, to: number) => void;
  defer?: boolean;
  /** Mark the service's anomaly periods (off while one route is shown: they are the whole service's). */
  anomalies?: boolean;
}

const stats = (lines: ChartLine[]) => {
  let points = 0;
  let lastTs = 0;
  for (const l of lines)
    for (const [ts, v] of l.data) {
      if (v === null) continue;
      points++;
      if (v !== 0 && ts > lastTs) lastTs = ts;
    }
  return { points, lastTs };
};

export function ServiceChart({ spec, store, from, to, live, group, onZoom, defer = false, anomalies = true }: Props) {
  const el = useRef<HTMLDivElement>(null);
  const zoomRef = useRef(onZoom);
  zoomRef.current = onZoom;
  const ready = useReady(defer);

  useEffect(() => {
    if (!ready) return;
    const div = el.current!;
    const chart: EChart = echarts.init(div, null, { renderer: 'canvas' });
    const c = themeColors();
    const fmt = (v: number) => formatValue(v, spec.unit);
    const now = () => (live ? Math.max(Date.now(), store.latestTs) : to);
    const xRange = () => ({ min: live ? store.windowFrom : from, max: now() });
    let ids = '';
    const marks = spec.anomalies && anomalies ? spec.anomalies : null;
    const anomalySeries = () => {
      const r = xRange();
      const areas = anomalyAreas(store.anomalies, marks!, r.min, r.max, store.stepMs);
      div.dataset.anomalies = String(areas.length);
      div.dataset.anomalyMs = String(areas.reduce((n, a) => n + a.to - a.from, 0));
      return { id: 'anomalies', type: 'line', data: [], silent: true, tooltip: { show: false }, markArea: { silent: false, itemStyle: { color: 'rgba(239, 68, 68, 0.16)', borderColor: 'rgba(239, 68, 68, 0.45)', borderWidth: 1 }, label: { show: false }, emphasis: { label: { show: true, position: 'insideTop', color: c.text } }, data: markAreaData(areas) } };
    };
    let current: ChartLine[] = [];

    const mark = (lines: ChartLine[]) => {
      const s = stats(lines);
      div.dataset.points = String(s.points);
      div.dataset.lastTs = String(s.lastTs);
      // Dots (exemplars): how many, and where the first one is drawn (the browser test clicks it).
      const dots = lines.find((l) => l.scatter);
      if (dots) {
        div.dataset.dots = String(dots.data.length);
        const at = dots.data[0] ? (chart.convertToPixel({ seriesId: dots.id }, dots.data[0] as number[]) as number[] | undefined) : undefined;
        div.dataset.firstDot = at ? at.map(Math.round).join(',') : '';
      }
      if (s.points && !performance.getEntriesByName('pulse:first-chart').length) {
        performance.mark('pulse:first-chart');
        setTimeout(releaseDeferred, 0); // after this frame is painted
      }
    };

    const full = () => {
      const lines = spec.lines(store, now());
      current = lines;
      ids = lines.map((l) => l.id).join('\n');
      chart.setOption(
        {
          animation: false,
          grid: { left: 8, right: 12, top: 28, bottom: 4, containLabel: true },
          legend: { type: 'scroll', top: 0, left: 0, data: lines.map((l) => l.name), textStyle: { color: c.muted }, pageTextStyle: { color: c.muted }, itemWidth: 14, itemHeight: 8 },
          tooltip: { trigger: 'axis', className: 'chart-tip', valueFormatter: (v: unknown) => (v === null || v === undefined || v === '-' ? '–' : fmt(Number(v))), backgroundColor: c.panel, borderColor: c.border, textStyle: { color: c.text } },
          // Shown (a hidden toolbox builds no features) but invisible: only its zoom-select is used.
          toolbox: { show: true, left: -100, itemSize: 0, showTitle: false, feature: { dataZoom: { yAxisIndex: 'none', icon: { zoom: 'path://M0 0', back: 'path://M0 0' } } } },
          xAxis: { type: 'time', ...xRange(), axisLabel: { color: c.muted, hideOverlap: true }, axisLine: { lineStyle: { color: c.border } } },
          yAxis: { type: 'value', min: 0, ...(spec.max && { max: (v: { max: number }) => Math.max(spec.max!, v.max) }), axisLabel: { color: c.muted, formatter: fmt }, splitLine: { lineStyle: { color: c.border } } },
          series: lines.map((l) => ({
            id: l.id,
            name: l.name,
            type: l.scatter ? 'scatter' : 'line',
            ...(l.scatter ? { symbolSize: 7, cursor: 'pointer', tooltip: { trigger: 'item', valueFormatter: (v: unknown) => fmt(Number(v)) } } : { showSymbol: false }),
            lineStyle: { width: 1.5 },
            ...(l.color && { color: l.color }),
            ...(l.area && { areaStyle: { opacity: 0.3 } }),
            data: l.data,
          })).concat(marks ? [anomalySeries() as never] : []),
        },
        { replaceMerge: ['series'] },
      );
      mark(lines);
      // Drag-to-zoom is always on: a drag selects the range, a hover still shows the cursor.
      chart.dispatchAction({ type: 'takeGlobalCursor', key: 'dataZoomSelect', dataZoomSelectActive: true });
    };

    const onChange = (ch: StoreChange) => {
      if (!spec.parts.some((p) => ch.parts.has(p)) && !ch.parts.has('clock')) return;
      const lines = spec.lines(store, now());
      if (ch.reset || lines.map((l) => l.id).join('\n') !== ids) return full();
      const series: object[] = lines.map((l) => ({ id: l.id, data: l.data }));
      if (marks) series.push(anomalySeries());
      current = lines;
      chart.setOption({ xAxis: xRange(), series }, { lazyUpdate: false });
      mark(lines);
    };

    full();
    const unsub = store.subscribe(onChange);
    chart.on('datazoom', (e: unknown) => {
      const b = (e as { batch?: { startValue?: number; endValue?: number }[] }).batch?.[0];
      if (b?.startValue !== undefined && b.endValue !== undefined && b.endValue - b.startValue > 10_000) zoomRef.current?.(b.startValue, b.endValue);
    });
    // A click on a dot of a scatter series (exemplars) opens what it links to (its trace).
    chart.on('click', (e: unknown) => {
      const p = e as { seriesId?: string; dataIndex?: number };
      const href = current.find((l) => l.id === p.seriesId)?.links?.[p.dataIndex ?? -1];
      if (href) location.assign(href);
    });
    const leaveCursor = joinCursor(group, chart);
    const ro = new ResizeObserver(() => chart.resize());
    ro.observe(div);
    return () => {
      leaveCursor();
      unsub();
      ro.disconnect();
      chart.dispose();
    };
  }, [spec, store, from, to, live, group, ready, anomalies]);

  return (
    <div className="panel">
      <h3>{spec.title}</h3>
      <div ref={el} className="chart" data-chart={spec.id} role="img" aria-label={`${spec.title} chart; drag across it to select a time range`} />
    </div>
  );
}
