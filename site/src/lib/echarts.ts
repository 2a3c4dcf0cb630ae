// Only the ECharts parts the dashboard uses (the host page's JS budget is 300 KB gzip).
import { BarChart, GaugeChart, LineChart, ScatterChart } from 'echarts/charts';
import { DataZoomInsideComponent, GridComponent, LegendComponent, MarkAreaComponent, ToolboxComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';

echarts.use([LineChart, ScatterChart, GaugeChart, BarChart, GridComponent, TooltipComponent, LegendComponent, DataZoomInsideComponent, ToolboxComponent, MarkAreaComponent, CanvasRenderer]);

export { echarts };
export type EChart = ReturnType<typeof echarts.init>;

/** Colours from the page's CSS variables, so charts follow light and dark mode. */
export function themeColors() {
  const cs = getComputedStyle(document.documentElement);
  const v = (n: string) => cs.getPropertyValue(n).trim();
  return { text: v('--text'), muted: v('--muted'), border: v('--border'), panel: v('--panel'), accent: v('--accent') };
}

export const PALETTE = ['#3b82f6', '#f59e0b', '#10b981', '#ef4444', '#8b5cf6', '#06b6d4', '#ec4899', '#84cc16', '#f97316', '#64748b'];
