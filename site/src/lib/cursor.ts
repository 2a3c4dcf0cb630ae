// One cursor for the charts of a page: hovering one shows the same instant on all of them. It
// goes by time value, not by data index: echarts.connect hands the other charts the hovered
// point's data index, which lines up only charts with identical x data, while the service page
// mixes per-second signal buckets with the hosts' 5 s samples. Each other chart gets a showTip
// at the pixel of that instant on its own time axis (and snaps to its nearest point).
import type { EChart } from './echarts.ts';

const groups = new Map<string, Set<EChart>>();

export function joinCursor(group: string, chart: EChart): () => void {
  let members = groups.get(group);
  if (!members) groups.set(group, (members = new Set()));
  members.add(chart);
  const others = () => [...members].filter((c) => c !== chart && !c.isDisposed());
  const hide = () => others().forEach((c) => c.dispatchAction({ type: 'hideTip' }));
  const move = (e: { offsetX: number; offsetY: number }) => {
    if (!chart.containPixel({ gridIndex: 0 }, [e.offsetX, e.offsetY])) return hide();
    const at = chart.convertFromPixel({ xAxisIndex: 0 }, e.offsetX) as unknown as number;
    if (!Number.isFinite(at)) return;
    for (const c of others()) {
      const x = c.convertToPixel({ xAxisIndex: 0 }, at) as unknown as number;
      // The middle of the other chart is inside its plot (the grid leaves only small margins).
      if (Number.isFinite(x)) c.dispatchAction({ type: 'showTip', x, y: c.getHeight() / 2 });
    }
  };
  const zr = chart.getZr();
  zr.on('mousemove', move);
  zr.on('globalout', hide);
  return () => {
    zr.off('mousemove', move);
    zr.off('globalout', hide);
    members.delete(chart);
    if (!members.size) groups.delete(group);
  };
}
