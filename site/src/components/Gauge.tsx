// A gauge for a current value (0-100 %), updated in place as samples arrive.
import { useEffect, useRef } from 'react';
import { useReady } from '../lib/defer.ts';
import { echarts, themeColors } from '../lib/echarts.ts';
import { formatValue } from '../lib/format.ts';

interface Props {
  title: string;
  value: number | null;
  max?: number;
  unit?: 'percent' | 'load';
}

export function Gauge({ title, value, max = 100, unit = 'percent' }: Props) {
  const el = useRef<HTMLDivElement>(null);
  const chart = useRef<ReturnType<typeof echarts.init> | null>(null);
  const ready = useReady(true);

  useEffect(() => {
    if (!ready) return;
    const c = themeColors();
    const g = echarts.init(el.current!, null, { renderer: 'canvas' });
    chart.current = g;
    g.setOption({
      animation: false,
      series: [
        {
          type: 'gauge',
          min: 0,
          max,
          radius: '95%',
          center: ['50%', '60%'],
          startAngle: 200,
          endAngle: -20,
          progress: { show: true, width: 10 },
          axisLine: { lineStyle: { width: 10, color: [[1, c.border]] } },
          axisTick: { show: false },
          splitLine: { show: false },
          axisLabel: { show: false },
          pointer: { show: false },
          anchor: { show: false },
          title: { show: false },
          itemStyle: { color: c.accent },
          detail: { valueAnimation: false, offsetCenter: [0, '5%'], fontSize: 20, color: c.text, formatter: (v: number) => formatValue(v, unit) },
          data: [{ value: 0 }],
        },
      ],
    });
    const ro = new ResizeObserver(() => g.resize());
    ro.observe(el.current!);
    return () => {
      ro.disconnect();
      g.dispose();
      chart.current = null;
    };
  }, [max, unit, ready]);

  useEffect(() => {
    if (!chart.current) return;
    const v = value ?? 0;
    const color = unit === 'percent' ? (v >= 90 ? '#ef4444' : v >= 80 ? '#f59e0b' : themeColors().accent) : themeColors().accent;
    chart.current.setOption({ series: [{ data: [{ value: value ?? NaN }], itemStyle: { color }, detail: { formatter: () => (value === null ? '–' : formatValue(value, unit)) } }] });
  }, [value, unit, ready]);

  return (
    <div className="panel" style={{ padding: 8 }}>
      <h3 style={{ margin: 0, textAlign: 'center' }}>{title}</h3>
      <div ref={el} className="gauge" role="meter" aria-label={title} aria-valuemin={0} aria-valuemax={max} aria-valuenow={value ?? undefined} aria-valuetext={value === null ? 'no data' : formatValue(value, unit)} />
    </div>
  );
}
