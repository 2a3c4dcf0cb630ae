import { useCallback, useEffect, useState } from 'react';
import { api } from './api.ts';

export interface AsyncState<T> {
  data?: T;
  error?: string;
  loading: boolean;
}

/** GET a path; `reload` fetches again (after a change). A null path waits. */
export function useApi<T>(path: string | null): AsyncState<T> & { reload: () => void } {
  const [state, setState] = useState<AsyncState<T>>({ loading: true });
  const [n, setN] = useState(0);
  useEffect(() => {
    if (!path) return;
    const ac = new AbortController();
    setState((s) => ({ ...s, loading: true }));
    api<T>(path, { signal: ac.signal })
      .then((data) => setState({ data, loading: false }))
      .catch((e: Error) => {
        if (!ac.signal.aborted) setState({ error: e.message, loading: false });
      });
    return () => ac.abort();
  }, [path, n]);
  const reload = useCallback(() => setN((x) => x + 1), []);
  return { ...state, reload };
}

/** Runs tasks with at most `limit` in flight, in the given order. */
export async function pool<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let i = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (i < items.length) await fn(items[i++]!);
    }),
  );
}

/** Runs a change, then reloads; keeps its error to show inline (never a blocking browser alert). */
export function useAction(reload: () => void) {
  const [err, setErr] = useState<string | null>(null);
  const act = (p: Promise<unknown>) => {
    setErr(null);
    return p.then(reload, (e: Error) => setErr(e.message));
  };
  return { act, err };
}
