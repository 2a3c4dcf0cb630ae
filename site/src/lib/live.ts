// One WebSocket per host shown (protocol/live.ts). Reconnects with exponential backoff and jitter;
// after a reconnect it reports the gap (last sample seen -> now) so the view refills it from the
// history API. The socket stays open in a background tab (messages are cheap); the views stop
// rendering while hidden and catch up on return (see store.ts).
import { LIVE_PATH, LIVE_PING, type LiveSample, type LiveServerMessage } from '../../../protocol/live.ts';

export type LiveStatus = 'connecting' | 'open' | 'closed';

export interface LiveHandlers {
  onSample(s: LiveSample): void;
  /** Called after a reconnect with the newest timestamp seen before the drop. */
  onGap?(sinceTs: number): void;
  onStatus?(s: LiveStatus): void;
}

const BASE_DELAY = 1000;
const MAX_DELAY = 30_000;
/** Keepalive so idle proxies keep the socket; the exact text is answered without waking the object. */
const PING_MS = 30_000;

export class LiveSocket {
  private ws: WebSocket | null = null;
  private attempts = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private ping: ReturnType<typeof setInterval> | null = null;
  private closed = false;
  private everOpened = false;
  lastTs = 0;

  constructor(
    private readonly hostId: string,
    private readonly h: LiveHandlers,
  ) {
    this.connect();
  }

  private connect() {
    if (this.closed) return;
    this.h.onStatus?.('connecting');
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${LIVE_PATH(this.hostId)}`;
    const ws = new WebSocket(url);
    this.ws = ws;
    ws.onopen = () => {
      this.attempts = 0;
      this.ping = setInterval(() => ws.readyState === WebSocket.OPEN && ws.send(LIVE_PING), PING_MS);
      this.h.onStatus?.('open');
    };
    ws.onmessage = (ev) => {
      let msg: LiveServerMessage;
      try {
        msg = JSON.parse(String(ev.data)) as LiveServerMessage;
      } catch {
        return;
      }
      if (msg.type === 'hello') {
        const reconnect = this.everOpened;
        this.everOpened = true;
        if (reconnect && this.lastTs) this.h.onGap?.(this.lastTs);
        if (msg.latest) this.deliver(msg.latest);
      } else if (msg.type === 'sample') this.deliver({ ts: msg.ts, metrics: msg.metrics });
    };
    ws.onclose = () => {
      this.ws = null;
      if (this.ping) clearInterval(this.ping);
      this.h.onStatus?.('closed');
      if (this.closed) return;
      const delay = Math.min(MAX_DELAY, BASE_DELAY * 2 ** this.attempts++) * (0.5 + Math.random() / 2);
      this.timer = setTimeout(() => this.connect(), delay);
    };
  }

  private deliver(s: LiveSample) {
    if (s.ts <= this.lastTs) return; // the hello's latest may repeat one already shown
    this.lastTs = s.ts;
    this.h.onSample(s);
  }

  close() {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.ping) clearInterval(this.ping);
    this.ws?.close(1000, 'view closed');
  }
}
