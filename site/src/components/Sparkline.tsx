// A tiny SVG line (no chart library on the overview page).
export function Sparkline({ points, max, label }: { points: [number, number][]; max?: number; label: string }) {
  const w = 110;
  const h = 32;
  if (points.length < 2) return <svg className="spark" viewBox={`0 0 ${w} ${h}`} role="img" aria-label={`${label}: not enough data`} />;
  const t0 = points[0]![0];
  const t1 = points[points.length - 1]![0];
  const top = max ?? Math.max(1e-9, ...points.map((p) => p[1]));
  const d = points.map((p, i) => `${i ? 'L' : 'M'}${(((p[0] - t0) / Math.max(1, t1 - t0)) * w).toFixed(1)},${(h - 2 - (Math.min(p[1], top) / top) * (h - 4)).toFixed(1)}`).join('');
  return (
    <svg className="spark" viewBox={`0 0 ${w} ${h}`} role="img" aria-label={label} data-points={points.length}>
      <path d={d} fill="none" stroke="var(--accent)" strokeWidth="1.5" />
    </svg>
  );
}
