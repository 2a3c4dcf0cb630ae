// One SLO over its window: the SLI and the error budget left, both cumulative from the window's
// start (lib/slo.ts sloSeries), with the objective as a flat line. Redrawn when the history
// reloads; the live numbers are in the header above it.
import { useEffect, useRef } from 'react';
import { echarts, PALETTE, themeColors, type EChart } from '../lib/echarts.ts';
import { formatPct, sloSeries, type SloHistory } from '../lib/slo.ts';

export function SloChart({ history }: { history: SloHistory }) {
  const el = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const div = el.current!;
    const chart: EChart = echarts.init(div, null, { renderer: 'canvas' });
    const c = themeColors();
    const pts = sloSeries(history.points, history.slo.objective);
    // A bucket's value holds at its end (the last bucket ends now, not a whole step later).
    const at = (p: { ts: number }) => Math.min(p.ts + history.step_ms, history.to);
    const dots = pts.length < 30; // a line of one or two points is invisible without its symbols
    chart.setOption({
      animation: false,
      color: [PALETTE[0]!, PALETTE[2]!, PALETTE[3]!],
      grid: { left: 8, right: 8, top: 40, bottom: 4, containLabel: true },
      legend: { top: 0, left: 'center', textStyle: { color: c.muted } },
      tooltip: { trigger: 'axis', valueFormatter: (v: unknown) => formatPct(Number(v) / 100, 3), backgroundColor: c.panel, borderColor: c.border, textStyle: { color: c.text } },
      xAxis: { type: 'time', min: history.from, max: history.to, axisLabel: { color: c.muted, hideOverlap: true }, axisLine: { lineStyle: { color: c.border } } },
      yAxis: [
        { type: 'value', name: 'SLI %', scale: true, max: 100, axisLabel: { color: c.muted }, splitLine: { lineStyle: { color: c.border } } },
        // An overspent budget can reach -5,000 %; below -100 % the line leaves the plot (the header has the number).
        { type: 'value', name: 'budget %', max: 100, min: (v: { min: number }) => Math.max(-100, Math.floor(Math.min(0, v.min) / 10) * 10), axisLabel: { color: c.muted }, splitLine: { show: false } },
      ],
      series: [
        { name: 'SLI', type: 'line', showSymbol: dots, yAxisIndex: 0, data: pts.filter((p) => p.sli !== null).map((p) => [at(p), p.sli! * 100]) },
        { name: 'Budget left', type: 'line', showSymbol: dots, yAxisIndex: 1, areaStyle: { opacity: 0.15 }, data: pts.filter((p) => p.budget !== null).map((p) => [at(p), p.budget! * 100]) },
        { name: 'Objective', type: 'line', showSymbol: false, yAxisIndex: 0, lineStyle: { type: 'dashed', width: 1 }, data: [[history.from, history.slo.objective * 100], [history.to, history.slo.objective * 100]] },
      ],
    });
    div.dataset.points = String(pts.length);
    const ro = new ResizeObserver(() => chart.resize());
    ro.observe(div);
    return () => {
      ro.disconnect();
      chart.dispose();
    };
  }, [history]);
  return <div ref={el} className="chart" data-chart="slo" role="img" aria-label={`SLI and error budget left over the last ${history.slo.window_days} days`} />;
}
