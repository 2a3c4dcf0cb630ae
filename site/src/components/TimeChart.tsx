// One time-series panel. Drawn in full when its history arrives; afterwards a live sample only
// hands ECharts the changed series (setOption merge by series id), so nothing else re-renders.
// Dragging across the plot selects a time range (onZoom).
import { useEffect, useRef } from 'react';
import { labelsKey } from '../../../protocol/series.ts';
import { releaseDeferred, useReady } from '../lib/defer.ts';
import { echarts, PALETTE, themeColors, type EChart } from '../lib/echarts.ts';
import { formatValue } from '../lib/format.ts';
import { seriesName, type PanelSpec } from '../lib/panels.ts';
import type { Change, MetricStore } from '../lib/store.ts';

interface Props {
  spec: PanelSpec;
  store: MetricStore;
  from: number;
  to: number;
  live: boolean;
  onZoom?: (from: number, to: number) => void;
  /** Create the chart only after the first chart drew (lib/defer.ts). */
  defer?: boolean;
}

const seriesOf = (spec: PanelSpec, store: MetricStore) =>
  spec.lines.flatMap((line) =>
    store.series(line.metric).map((s) => ({
      id: `${line.metric}|${labelsKey(s.labels)}`,
      metric: line.metric,
      name: seriesName(line, s.labels),
      line,
      data: s.points,
    })),
  );

export function TimeChart({ spec, store, from, to, live, onZoom, defer = false }: Props) {
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
    let ids = new Set<string>();
    const now = () => (live ? Math.max(Date.now(), store.latestTs) : to);

    const full = () => {
      const series = seriesOf(spec, store);
      ids = new Set(series.map((s) => s.id));
      chart.setOption(
        {
          animation: false,
          color: PALETTE,
          grid: { left: 8, right: 12, top: 28, bottom: 4, containLabel: true },
          legend: { type: 'scroll', top: 0, left: 0, textStyle: { color: c.muted }, pageTextStyle: { color: c.muted }, itemWidth: 14, itemHeight: 8 },
          tooltip: { trigger: 'axis', valueFormatter: (v: unknown) => fmt(Number(v)), backgroundColor: c.panel, borderColor: c.border, textStyle: { color: c.text } },
          // Shown (a hidden toolbox builds no features) but invisible: only its zoom-select is used.
          toolbox: { show: true, left: -100, itemSize: 0, showTitle: false, feature: { dataZoom: { yAxisIndex: 'none', icon: { zoom: 'path://M0 0', back: 'path://M0 0' } } } },
          xAxis: { type: 'time', min: from, max: now(), axisLabel: { color: c.muted, hideOverlap: true }, axisLine: { lineStyle: { color: c.border } } },
          yAxis: { type: 'value', min: 0, ...(spec.max && { max: (v: { max: number }) => Math.max(spec.max!, v.max) }), axisLabel: { color: c.muted, formatter: fmt }, splitLine: { lineStyle: { color: c.border } } },
          series: series.map((s) => ({
            id: s.id,
            name: s.name,
            type: 'line',
            showSymbol: false,
            sampling: 'lttb',
            lineStyle: { width: 1.5 },
            ...(s.line.stack && { stack: spec.id }),
            ...(s.line.area && { areaStyle: { opacity: 0.35 } }),
            data: s.data,
          })),
        },
        { replaceMerge: ['series'] },
      );
      const points = series.reduce((n, s) => n + s.data.length, 0);
      div.dataset.points = String(points);
      // For bench:dashboard: when the first chart on the page has data.
      if (points && !performance.getEntriesByName('pulse:first-chart').length) {
        performance.mark('pulse:first-chart');
        setTimeout(releaseDeferred, 0); // after this frame is painted
      }
      div.dataset.lastTs = String(Math.max(0, ...series.map((s) => s.data[s.data.length - 1]?.[0] ?? 0)));
      // Drag-to-zoom is always on: a drag selects the range, a click still shows the tooltip.
      chart.dispatchAction({ type: 'takeGlobalCursor', key: 'dataZoomSelect', dataZoomSelectActive: true });
    };

    const onChange = (ch: Change) => {
      if (!spec.lines.some((l) => ch.metrics.has(l.metric))) return;
      const series = seriesOf(spec, store);
      if (ch.kind === 'reset' || series.some((s) => !ids.has(s.id)) || series.length !== ids.size) return full();
      const changed = series.filter((s) => ch.metrics.has(s.metric));
      chart.setOption({ xAxis: { min: live ? store.windowFrom : from, max: now() }, series: changed.map((s) => ({ id: s.id, data: s.data })) }, { lazyUpdate: false });
      div.dataset.lastTs = String(Math.max(Number(div.dataset.lastTs ?? 0), ...changed.map((s) => s.data[s.data.length - 1]?.[0] ?? 0)));
      div.dataset.points = String(series.reduce((n, s) => n + s.data.length, 0));
    };

    full();
    const unsub = store.subscribe(onChange);
    chart.on('datazoom', (e: unknown) => {
      const b = (e as { batch?: { startValue?: number; endValue?: number }[] }).batch?.[0];
      if (b?.startValue !== undefined && b.endValue !== undefined && b.endValue - b.startValue > 10_000) zoomRef.current?.(b.startValue, b.endValue);
    });
    const ro = new ResizeObserver(() => chart.resize());
    ro.observe(div);
    return () => {
      unsub();
      ro.disconnect();
      chart.dispose();
    };
  }, [spec, store, from, to, live, ready]);

  return (
    <div className="panel">
      <h3>{spec.title}</h3>
      <div ref={el} className="chart" data-chart={spec.id} role="img" aria-label={`${spec.title} chart; drag across it to select a time range`} />
    </div>
  );
}
