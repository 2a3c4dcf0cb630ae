// A WebSocket client for live tests inside workerd: opens GET /api/v1/hosts/{host}/live through
// the worker and queues what arrives, so a test can await messages in order.
import { SELF } from 'cloudflare:test';
import { LIVE_PATH, type LiveServerMessage } from '../protocol/live.ts';
import { BASE } from './helpers.ts';

export class LiveClient<M = LiveServerMessage> {
  private queue: M[] = [];
  private waiting: ((m: M) => void) | null = null;
  readonly closed: Promise<{ code: number; reason: string }>;

  constructor(readonly ws: WebSocket) {
    ws.accept();
    ws.addEventListener('message', (e) => {
      const m = JSON.parse(e.data as string) as M;
      if (this.waiting) {
        const w = this.waiting;
        this.waiting = null;
        w(m);
      } else this.queue.push(m);
    });
    this.closed = new Promise((resolve) => ws.addEventListener('close', (e) => resolve({ code: e.code, reason: e.reason })));
  }

  /** The next message; rejects if none comes within `ms` (a deadline, not a measurement). */
  next(ms = 5000): Promise<M> {
    const m = this.queue.shift();
    if (m) return Promise.resolve(m);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting = null;
        reject(new Error(`no live message within ${ms} ms`));
      }, ms);
      this.waiting = (msg) => {
        clearTimeout(timer);
        resolve(msg);
      };
    });
  }

  pending(): number {
    return this.queue.length;
  }

  close() {
    this.ws.close(1000, 'done');
  }
}

export function openLive(host: string, headers: Record<string, string>): Promise<Response> {
  return SELF.fetch(`${BASE}${LIVE_PATH(host)}`, { headers: { upgrade: 'websocket', ...headers } });
}

/** Opens a socket with a key and expects the upgrade to succeed. */
export async function subscribe(key: string, host: string, headers: Record<string, string> = {}): Promise<LiveClient> {
  const res = await openLive(host, { authorization: `Bearer ${key}`, ...headers });
  if (res.status !== 101 || !res.webSocket) throw new Error(`upgrade failed: ${res.status} ${await res.text()}`);
  return new LiveClient(res.webSocket);
}
