// Charts past the first group are created after the first one has had its chance to draw: creating
// 14 ECharts instances at mount delayed the first chart by a few hundred ms (docs/performance.md).
import { useEffect, useState } from 'react';

let released = false;
const waiting = new Set<() => void>();

/** Lets deferred charts be created (the first chart drew, or it had 400 ms). */
export function releaseDeferred() {
  if (released) return;
  released = true;
  for (const w of waiting) w();
  waiting.clear();
}

/** True once this component may create its chart; `defer` false = at once. */
export function useReady(defer: boolean): boolean {
  const [ready, setReady] = useState(!defer || released);
  useEffect(() => {
    if (ready) return;
    // Staggered over idle periods so the main thread stays responsive.
    const go = () => {
      const idle = (window as { requestIdleCallback?: (cb: () => void, o?: { timeout: number }) => number }).requestIdleCallback;
      if (idle) idle(() => setReady(true), { timeout: 500 });
      else setTimeout(() => setReady(true), 0);
    };
    if (released) go();
    else waiting.add(go);
    const t = setTimeout(releaseDeferred, 400);
    return () => {
      waiting.delete(go);
      clearTimeout(t);
    };
  }, [ready]);
  return ready;
}
