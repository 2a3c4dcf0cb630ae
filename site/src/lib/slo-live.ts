// SLO statuses kept live in a React view: the status API once per SLO, then every push of the
// SLOs' services' live sockets (one socket per service; the service object pushes its SLOs'
// statuses with its signals, at most once a second while traffic arrives).
import { useEffect, useState } from 'react';
import { api } from './api.ts';
import { pool } from './hooks.ts';
import { ServiceLiveSocket } from './live.ts';
import { mergeStatuses, type SloJson, type SloStatus } from './slo.ts';

export function useSloStatuses(list: readonly SloJson[] | undefined): Record<string, SloStatus> {
  const [statuses, setStatuses] = useState<Record<string, SloStatus>>({});
  const key = (list ?? []).map((s) => `${s.id}|${s.service}|${s.updated_at}`).join(',');
  useEffect(() => {
    if (!list?.length) return;
    const ac = new AbortController();
    const add = (s: SloStatus[]) => setStatuses((cur) => mergeStatuses(cur, s));
    void pool([...list], 6, async (s) => {
      try {
        add([await api<SloStatus>(`/api/v1/slos/${encodeURIComponent(s.id)}/status`, { signal: ac.signal })]);
      } catch (err) {
        if (!ac.signal.aborted) console.warn('SLO status failed', s.id, err);
      }
    });
    const ids = new Set(list.map((s) => s.id));
    const sockets = [...new Set(list.map((s) => s.service))].map(
      (service) => new ServiceLiveSocket(service, { onSeconds: () => {}, onSlos: (slos) => add(slos.filter((x) => ids.has(x.id))) }),
    );
    return () => {
      ac.abort();
      for (const s of sockets) s.close();
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps -- `key` stands for the list
  }, [key]);
  return statuses;
}
