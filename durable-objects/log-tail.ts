// One object per organization (named by tenant id): its live log tails (issue #14). The worker
// publishes every batch of lines once they are stored; each subscriber gets the lines its filter
// matches, at most LOG_LIMITS.maxTailLinesPerSecond a second. Past that the lines are not
// dropped silently: the subscriber is told how many it skipped and over which times, so it can
// fetch them from the search API. Sockets hibernate between batches (live-subscribers.ts).
import { LOG_LIMITS, LOG_TAIL_CLOSE, parseLogQuery, tailMatches, type LogTailMessage, type TailFilter, type TailLine } from '../protocol/logs.ts';
import type { StoredLine } from '../protocol/log-lines.ts';
import { BaseObject } from './base.ts';
import { DEFAULT_LIVE_OPTIONS, LiveSubscribers, type LiveOptions } from './live-subscribers.ts';

/** What the worker passes in the handshake URL and the socket keeps: the filter as asked. */
export interface TailRequest {
  service: string | null;
  level: string | null;
  minSeverity: number;
  q: string;
}

interface Budget {
  /** Start (ms) of the current one-second window and the lines sent in it. */
  window: number;
  sent: number;
}

export const tailUrl = (r: TailRequest) => `https://log-tail/live?f=${encodeURIComponent(JSON.stringify(r))}`;

export class LogTailObject extends BaseObject<Env> {
  static liveOptions: LiveOptions = { ...DEFAULT_LIVE_OPTIONS };
  /** Parsed filters and send budgets per socket; rebuilt from the attachment after a wake. */
  private readonly filters = new WeakMap<WebSocket, TailFilter>();
  private readonly budgets = new WeakMap<WebSocket, Budget>();

  protected onStart() {
    this.subscribers = new LiveSubscribers(this.ctx, () => (this.constructor as typeof LogTailObject).liveOptions, LOG_TAIL_CLOSE.tooManySubscribers);
  }

  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get('upgrade')?.toLowerCase() !== 'websocket') return new Response('expected a WebSocket upgrade', { status: 426 });
    const raw = new URL(request.url).searchParams.get('f');
    const r = JSON.parse(raw ?? 'null') as TailRequest | null;
    if (!r) return new Response('missing filter', { status: 400 });
    const hello: LogTailMessage = { type: 'hello', filter: { service: r.service, level: (r.level as never) ?? null, q: r.q } };
    return this.subscribers.accept(hello, r);
  }

  private filterOf(ws: WebSocket, data: unknown): TailFilter {
    let f = this.filters.get(ws);
    if (!f) {
      const r = data as TailRequest;
      // The worker parsed the same text before the handshake, so this cannot throw.
      f = { service: r.service ?? undefined, minSeverity: r.minSeverity, q: parseLogQuery(r.q) };
      this.filters.set(ws, f);
    }
    return f;
  }

  /** Pushes a stored batch to every tail whose filter it matches. Returns the subscriber count. */
  publish(lines: StoredLine[]): number {
    const count = this.subscribers.count();
    if (count === 0) return 0;
    const now = Date.now();
    this.subscribers.broadcastEach<LogTailMessage>((data, ws) => {
      const f = this.filterOf(ws, data);
      const matched: TailLine[] = [];
      for (const l of lines) if (tailMatches(f, l)) matched.push(tailLine(l));
      if (matched.length === 0) return [];
      let b = this.budgets.get(ws);
      if (!b || now - b.window >= 1000) this.budgets.set(ws, (b = { window: now, sent: 0 }));
      const room = Math.max(0, LOG_LIMITS.maxTailLinesPerSecond - b.sent);
      const send = matched.slice(0, room);
      b.sent += send.length;
      const out: LogTailMessage[] = send.length ? [{ type: 'lines', lines: send }] : [];
      const skipped = matched.slice(room);
      if (skipped.length) {
        let from = Infinity;
        let to = -Infinity;
        for (const l of skipped) {
          from = Math.min(from, l.ts);
          to = Math.max(to, l.ts);
        }
        out.push({ type: 'skipped', count: skipped.length, from, to });
      }
      return out;
    });
    return count;
  }
}

function tailLine(l: StoredLine): TailLine {
  const { tsMicros: _, ...line } = l;
  return line;
}
