// Event-driven refreshes (the route table, the newest rollup buckets) run when live traffic
// arrives, at most once per interval: a call during the interval runs once at its end.
export interface Throttled {
  (): void;
  cancel(): void;
}

export function throttle(fn: () => void, ms: number, clock: () => number = Date.now): Throttled {
  let last = -Infinity;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const run = () => {
    timer = null;
    last = clock();
    fn();
  };
  const t = (() => {
    if (timer) return;
    const wait = last + ms - clock();
    if (wait <= 0) run();
    else timer = setTimeout(run, wait);
  }) as Throttled;
  t.cancel = () => {
    if (timer) clearTimeout(timer);
    timer = null;
  };
  return t;
}
