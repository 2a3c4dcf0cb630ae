// Live samples over WebSocket: GET /api/v1/hosts/{host}/live (Upgrade: websocket), authorized
// like any read (session cookie from the browser, or a read key). The host's Durable Object
// pushes each accepted sample to its subscribers as it is ingested (issue #6).
import type { MetricValue } from './ingest.ts';

export const LIVE_PATH = (hostId: string) => `/api/v1/hosts/${encodeURIComponent(hostId)}/live`;

export interface LiveSample {
  ts: number;
  metrics: Record<string, MetricValue>;
}

export type LiveServerMessage =
  /** First message after connecting: the newest sample the object holds (null if none yet). */
  | { type: 'hello'; hostId: string; latest: LiveSample | null }
  /** One per accepted sample, in timestamp order. */
  | ({ type: 'sample'; hostId: string } & LiveSample)
  | { type: 'error'; message: string };

/** The client may send only this (keepalive); anything else is ignored. */
export type LiveClientMessage = { type: 'ping' };
