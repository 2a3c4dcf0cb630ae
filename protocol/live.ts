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
  /**
   * One per accepted sample, in timestamp order: each is newer than every sample sent before on
   * this socket (and than `hello.latest`), so a client may append. Samples older than that (an
   * agent replaying its spool behind newer ones) are not pushed; they are in the history API.
   */
  | ({ type: 'sample'; hostId: string } & LiveSample)
  /** Answer to a ping (added after the first contract; clients may ignore it). */
  | { type: 'pong' }
  | { type: 'error'; message: string };

/** The client may send only this (keepalive); anything else is ignored. */
export type LiveClientMessage = { type: 'ping' };

/**
 * The exact keepalive text. The server answers it without waking a hibernating object
 * (setWebSocketAutoResponse matches the text byte for byte); other spellings still get a pong,
 * at the cost of a wake.
 */
export const LIVE_PING = '{"type":"ping"}';
export const LIVE_PONG = '{"type":"pong"}';

/** Close codes the server uses. 1013 = "try again later" (RFC 6455). */
export const LIVE_CLOSE = {
  /** The host object already has its maximum number of subscribers. */
  tooManySubscribers: { code: 1013, reason: 'too many subscribers for this host' },
  /** The same for a service object (protocol/apm.ts). */
  tooManyServiceSubscribers: { code: 1013, reason: 'too many subscribers for this service' },
  /**
   * The socket reached its maximum age (10 minutes): reconnect at once. Authorization is checked
   * at the handshake only, so this bounds how long a revoked key or ended session keeps a stream.
   */
  reauthenticate: { code: 4001, reason: 'reconnect to reauthenticate' },
  /** The server dropped a socket it could not write to. */
  sendFailed: { code: 1011, reason: 'send failed' },
} as const;
