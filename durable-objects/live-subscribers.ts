// WebSocket subscribers of one object (a host's samples, issue #6; a service's signals, issue #12),
// in two modes as in partyserver:
// - hibernate (default): sockets are accepted with ctx.acceptWebSocket, so the object may leave
//   memory between samples while they stay open (no duration billed). The subscriber list is
//   always ctx.getWebSockets(), never a list in memory, so a woken object sees every socket.
// - memory: ws.accept(); sockets live in this instance and close with it, and the object stays
//   in memory while anyone watches. Simpler to reason about; kept for parity and tested.
// Sending never throws into the caller: ingest must not slow down or fail for a subscriber.
// A socket lives at most maxAgeMs and is then closed (LIVE_CLOSE.reauthenticate): authorization
// is checked only at the handshake, so this bounds how long a revoked key or an ended session
// keeps a stream; the client reconnects, re-authorized.
import { LIVE_CLOSE, LIVE_PING, LIVE_PONG } from '../protocol/live.ts';

/** What subscribers are sent: the host and service contracts (protocol/live.ts, protocol/apm.ts). */
type Message = { type: string };
type CloseReason = { code: number; reason: string };

export interface LiveOptions {
  hibernate: boolean;
  /** Sockets per object; one more is accepted and closed with `tooMany`. */
  maxSubscribers: number;
  /** Checked at each broadcast, so no timer keeps the object awake. */
  maxAgeMs: number;
}

export const DEFAULT_LIVE_OPTIONS: LiveOptions = { hibernate: true, maxSubscribers: 100, maxAgeMs: 10 * 60_000 };

const TAG = 'live';

interface Attachment {
  expires: number;
  /** What the subscriber asked for (a log tail's filter), given to `broadcastEach`. */
  data?: unknown;
}
/** Client messages are keepalives; anything longer is not one. */
const MAX_CLIENT_MESSAGE = 256;

export class LiveSubscribers {
  /** Memory-mode sockets, when each must reauthenticate and its data; hibernated ones are asked of the runtime every time. */
  private readonly memory = new Map<WebSocket, Attachment>();

  constructor(
    private readonly ctx: DurableObjectState,
    private readonly options: () => LiveOptions,
    private readonly tooMany: CloseReason = LIVE_CLOSE.tooManySubscribers,
  ) {
    // Pings are answered by the runtime without waking a hibernated object.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(LIVE_PING, LIVE_PONG));
  }

  count(): number {
    return this.ctx.getWebSockets(TAG).length + this.memory.size;
  }

  /** Completes an upgrade: a 101 response whose socket gets `hello` first; `data` stays with the socket. */
  accept<M extends Message>(hello: M, data?: unknown): Response {
    const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
    const opts = this.options();
    if (this.count() >= opts.maxSubscribers) {
      // Accepted only to say why: a browser cannot read the status of a refused handshake.
      server.accept();
      const { code, reason } = this.tooMany;
      this.sendText(server, JSON.stringify({ type: 'error', message: reason }));
      server.close(code, reason);
      return new Response(null, { status: 101, webSocket: client });
    }
    const expires = Date.now() + opts.maxAgeMs;
    if (opts.hibernate) {
      this.ctx.acceptWebSocket(server, [TAG]);
      server.serializeAttachment({ expires, data } satisfies Attachment);
    } else {
      server.accept();
      this.memory.set(server, { expires, data });
      server.addEventListener('message', (e) => this.onMessage(server, e.data));
      server.addEventListener('close', (e) => this.onClose(server, e.code));
      server.addEventListener('error', () => this.drop(server));
    }
    this.sendText(server, JSON.stringify(hello));
    return new Response(null, { status: 101, webSocket: client });
  }

  private sockets(): [WebSocket, Attachment][] {
    return [
      ...this.ctx.getWebSockets(TAG).map((ws): [WebSocket, Attachment] => [ws, (ws.deserializeAttachment() as Attachment | null) ?? { expires: 0 }]),
      ...this.memory,
    ];
  }

  /** Sends every message to every subscriber, in order; a socket that fails is dropped. */
  broadcast<M extends Message>(messages: M[]): void {
    if (messages.length === 0) return;
    const texts = messages.map((m) => JSON.stringify(m));
    this.broadcastEach(() => texts);
  }

  /**
   * Sends each subscriber what `pick` returns for it (messages, or their JSON texts), in order;
   * `pick` gets the socket's `data` from `accept`.
   */
  broadcastEach<M extends Message>(pick: (data: unknown, ws: WebSocket) => (M | string)[]): void {
    const sockets = this.sockets();
    if (sockets.length === 0) return;
    const now = Date.now();
    for (const [ws, { expires, data }] of sockets) {
      if (ws.readyState !== WebSocket.OPEN) continue; // closing: its close event cleans up
      if (now >= expires) {
        this.drop(ws, LIVE_CLOSE.reauthenticate);
        continue;
      }
      for (const m of pick(data, ws)) if (!this.sendText(ws, typeof m === 'string' ? m : JSON.stringify(m))) break;
    }
  }

  /** Only pings are understood; anything else is ignored, as the contract says. */
  onMessage(ws: WebSocket, data: string | ArrayBuffer): void {
    if (typeof data !== 'string' || data.length > MAX_CLIENT_MESSAGE) return;
    let type: unknown;
    try {
      type = (JSON.parse(data) as { type?: unknown } | null)?.type;
    } catch {
      return;
    }
    if (type === 'ping') this.sendText(ws, LIVE_PONG);
  }

  onClose(ws: WebSocket, code: number): void {
    this.memory.delete(ws);
    // Complete the closing handshake (a no-op where the runtime already replied). 1005/1006 are
    // not codes one may send.
    try {
      ws.close(code === 1005 || code === 1006 ? 1000 : code, 'closed');
    } catch {
      /* already closed */
    }
  }

  drop(ws: WebSocket, why: CloseReason = LIVE_CLOSE.sendFailed): void {
    this.memory.delete(ws);
    try {
      ws.close(why.code, why.reason);
    } catch {
      /* already closed */
    }
  }

  private sendText(ws: WebSocket, text: string): boolean {
    try {
      ws.send(text);
      return true;
    } catch (err) {
      console.warn(JSON.stringify({ msg: 'live send failed; dropping the socket', error: String(err) }));
      this.drop(ws);
      return false;
    }
  }
}
