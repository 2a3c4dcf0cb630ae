// Live WebSockets: one per host shown (protocol/live.ts) and one per service (protocol/apm.ts),
// on one connection class: keepalive pings, reconnect with exponential backoff and jitter, and
// after a reconnect the gap (last data seen -> now) reported so the view refills it from the
// history API. The socket stays open in a background tab (messages are cheap); the views stop
// rendering while hidden and catch up on return (see store.ts, service-store.ts).
import { LIVE_PATH, LIVE_PING, type LiveSample, type LiveServerMessage } from '../../../protocol/live.ts';
import { SERVICE_LIVE_PATH, type LiveSecond, type ServiceLiveMessage, type SignalWindows } from './apm.ts';

export type LiveStatus = 'connecting' | 'open' | 'closed';

const BASE_DELAY = 1000;
const MAX_DELAY = 30_000;
/** Keepalive so idle proxies keep the socket; the exact text is answered without waking the object. */
const PING_MS = 30_000;

/** A reconnecting socket of JSON messages. `reconnect` is true for messages after a re-open. */
export class LiveConnection<M> {
  private ws: WebSocket | null = null;
  private attempts = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private ping: ReturnType<typeof setInterval> | null = null;
  private closed = false;
  private opens = 0;

  constructor(
    private readonly path: string,
    private readonly onMessage: (m: M, reconnect: boolean) => void,
    private readonly onStatus?: (s: LiveStatus) => void,
  ) {
    this.connect();
  }

  private connect() {
    if (this.closed) return;
    this.onStatus?.('connecting');
    const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${this.path}`);
    this.ws = ws;
    ws.onopen = () => {
      this.attempts = 0;
      this.opens++;
      this.ping = setInterval(() => ws.readyState === WebSocket.OPEN && ws.send(LIVE_PING), PING_MS);
      this.onStatus?.('open');
    };
    ws.onmessage = (ev) => {
      let msg: M;
      try {
        msg = JSON.parse(String(ev.data)) as M;
      } catch {
        return;
      }
      this.onMessage(msg, this.opens > 1);
    };
    ws.onclose = () => {
      this.ws = null;
      if (this.ping) clearInterval(this.ping);
      this.onStatus?.('closed');
      if (this.closed) return;
      const delay = Math.min(MAX_DELAY, BASE_DELAY * 2 ** this.attempts++) * (0.5 + Math.random() / 2);
      this.timer = setTimeout(() => this.connect(), delay);
    };
  }

  close() {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.ping) clearInterval(this.ping);
    this.ws?.close(1000, 'view closed');
  }
}

export interface LiveHandlers {
  onSample(s: LiveSample): void;
  /** Called after a reconnect with the newest timestamp seen before the drop. */
  onGap?(sinceTs: number): void;
  onStatus?(s: LiveStatus): void;
}

/** A host's samples, each newer than the last. */
export class LiveSocket {
  private conn: LiveConnection<LiveServerMessage>;
  lastTs = 0;

  constructor(hostId: string, h: LiveHandlers) {
    const deliver = (s: LiveSample) => {
      if (s.ts <= this.lastTs) return; // the hello's latest may repeat one already shown
      this.lastTs = s.ts;
      h.onSample(s);
    };
    this.conn = new LiveConnection<LiveServerMessage>(
      LIVE_PATH(hostId),
      (msg, reconnect) => {
        if (msg.type === 'hello') {
          if (reconnect && this.lastTs) h.onGap?.(this.lastTs);
          if (msg.latest) deliver(msg.latest);
        } else if (msg.type === 'sample') deliver({ ts: msg.ts, metrics: msg.metrics });
      },
      h.onStatus,
    );
  }

  close() {
    this.conn.close();
  }
}

export interface ServiceLiveHandlers {
  /** The hello's last 60 s, then every second that changed (a second may come again: replace by ts). */
  onSeconds(seconds: LiveSecond[], windows: SignalWindows): void;
  /** After a reconnect, with the newest second seen before the drop (the hello covers only 60 s). */
  onGap?(sinceTs: number): void;
  onStatus?(s: LiveStatus): void;
}

/** A service's per-second signals. */
export class ServiceLiveSocket {
  private conn: LiveConnection<ServiceLiveMessage>;
  lastTs = 0;

  constructor(service: string, h: ServiceLiveHandlers) {
    this.conn = new LiveConnection<ServiceLiveMessage>(
      SERVICE_LIVE_PATH(service),
      (msg, reconnect) => {
        if (msg.type !== 'hello' && msg.type !== 'signals') return;
        const since = this.lastTs;
        for (const s of msg.seconds) this.lastTs = Math.max(this.lastTs, s.ts);
        h.onSeconds(msg.seconds, msg.windows);
        if (msg.type === 'hello' && reconnect && since) h.onGap?.(since);
      },
      h.onStatus,
    );
  }

  close() {
    this.conn.close();
  }
}
