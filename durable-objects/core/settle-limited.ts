// Promise.allSettled with at most `limit` calls in flight, for every fan-out to an organization's
// objects (the host-down watchdog's tick, alert config pushes, key revocation): a thousand calls
// at once would arrive as one burst wherever those objects run. A new call starts as soon as one
// ends, instead of waiting for a whole slice.
export async function settleLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<PromiseSettledResult<R>[]> {
  const out: PromiseSettledResult<R>[] = new Array(items.length);
  let next = 0;
  const lane = async () => {
    for (let i = next++; i < items.length; i = next++) {
      try {
        out[i] = { status: 'fulfilled', value: await fn(items[i]!) };
      } catch (reason) {
        out[i] = { status: 'rejected', reason };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
  return out;
}
