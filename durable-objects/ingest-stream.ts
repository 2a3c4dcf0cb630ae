// The agents' ingest sockets of one host object (protocol/ingest-stream.ts, docs/ingest.md
// "Streaming"). Accepted with the hibernation API under their own tag, so the object may leave
// memory between samples while the socket stays open (no duration billed) and the dashboard's
// live sockets (tag "live") are never mistaken for them. Each frame is parsed with the POST's
// parser, counted against the per-collector limit, handed to the object's ingest, and answered:
// an ack, or an error naming what is wrong. A bad frame closes nothing.
import {
  parseStreamFrame,
  STREAM_CLOSE,
  STREAM_LIMITS,
  type StreamAck,
  type StreamClientFrame,
  type StreamError,
  type StreamReady,
} from '../protocol/ingest-stream.ts';

export const STREAM_TAG = 'ingest';
const KEY_TAG = (keyId: string) => `key:${keyId}`;

export interface StreamOptions {
  /** Frames per minute per host (all of its sockets together). */
  framesPerMinute: number;
  /** A socket older than this is closed with `reauthenticate` at its next frame. */
  maxAgeMs: number;
  /** No frame limit (RATE_LIMITS=off outside production: the local benchmarks, as for the POST). */
  unlimited?: boolean;
}

export const DEFAULT_STREAM_OPTIONS: StreamOptions = { framesPerMinute: STREAM_LIMITS.framesPerMinute, maxAgeMs: STREAM_LIMITS.maxAgeMs };

/** Who opened the socket, as the worker checked it at the upgrade; kept with the socket across hibernation. */
export interface StreamIdentity {
  tenantId: string;
  hostId: string;
  keyId: string;
}
interface Attachment extends StreamIdentity {
  expires: number;
  /** When the socket's latest frame arrived: kept with the socket across hibernation, not in storage. */
  seen?: number;
}

export type FrameHandler = (id: StreamIdentity, frame: StreamClientFrame, now: number) => Promise<Omit<StreamAck, 'type' | 'seq'>>;

export class IngestStreams {
  /** A token bucket per object, in memory: a woken object starts full, which an idle host earned anyway. */
  private tokens: number;
  private refilledAt = Date.now();

  constructor(
    private readonly ctx: DurableObjectState,
    private readonly options: () => StreamOptions,
    private readonly handle: FrameHandler,
  ) {
    this.tokens = options().framesPerMinute;
  }

  /** The socket is ours (not a live subscriber's). */
  owns(ws: WebSocket): boolean {
    return this.ctx.getTags(ws).includes(STREAM_TAG);
  }

  /** Open streams, leaving out `except` (one being closed) and any already closing. */
  count(except?: WebSocket): number {
    return this.ctx.getWebSockets(STREAM_TAG).filter((ws) => ws !== except && ws.readyState === 1).length; // 1: OPEN;
  }

  /** Completes an upgrade the worker authorized; the socket gets `ready` first. */
  accept(id: StreamIdentity, ready: Omit<StreamReady, 'type' | 'maxFrameBytes' | 'framesPerMinute'>): Response {
    const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
    this.ctx.acceptWebSocket(server, [STREAM_TAG, KEY_TAG(id.keyId)]);
    server.serializeAttachment({ ...id, expires: Date.now() + this.options().maxAgeMs } satisfies Attachment);
    this.send(server, this.ready(ready.hostId, ready.durableThrough));
    return new Response(null, { status: 101, webSocket: client });
  }

  /** `ready` on every open stream (a new instance): the senders re-send what they hold unconfirmed. */
  greetAll(durableThrough: number | null): void {
    for (const ws of this.ctx.getWebSockets(STREAM_TAG)) {
      const att = ws.deserializeAttachment() as Attachment | null;
      if (att) this.send(ws, this.ready(att.hostId, durableThrough));
    }
  }

  private ready(hostId: string, durableThrough: number | null): StreamReady {
    return { type: 'ready', hostId, durableThrough, maxFrameBytes: STREAM_LIMITS.maxFrameBytes, framesPerMinute: this.options().framesPerMinute };
  }

  async onMessage(ws: WebSocket, data: string | ArrayBuffer): Promise<void> {
    const att = ws.deserializeAttachment() as Attachment | null;
    if (!att) return this.close(ws, 1011, 'socket without identity');
    const now = Date.now();
    if (now >= att.expires) return this.close(ws, STREAM_CLOSE.reauthenticate.code, STREAM_CLOSE.reauthenticate.reason);
    // The keepalive is answered by the runtime; another spelling of it still gets its pong here.
    if (typeof data === 'string' && data.length < 64 && /^\s*\{\s*"type"\s*:\s*"ping"\s*\}\s*$/.test(data)) return this.send(ws, { type: 'pong' });
    const parsed = parseStreamFrame(data, now);
    if (!parsed.ok) return this.error(ws, parsed.error);
    const { frame } = parsed;
    if (frame.batch.host.id !== att.hostId)
      return this.error(ws, { code: 'host_mismatch', seq: frame.seq, message: `batch.host.id "${frame.batch.host.id}" is not this stream's host "${att.hostId}"; open one stream per host` });
    const wait = this.take(now);
    if (wait > 0)
      return this.error(ws, {
        code: 'rate_limited',
        seq: frame.seq,
        message: `ingest rate limit exceeded: ${this.options().framesPerMinute} frames per minute per collector (organization and host id); send it again in ${Math.ceil(wait / 1000)} s`,
        retryAfterMs: wait,
      });
    let ack: Omit<StreamAck, 'type' | 'seq'>;
    try {
      ack = await this.handle(att, frame, now);
    } catch (err) {
      // Not stored: the sender keeps the samples and sends them again.
      console.error(JSON.stringify({ msg: 'stream frame failed', host: att.hostId, error: String(err) }));
      return this.error(ws, { code: 'unavailable', seq: frame.seq, message: 'the frame could not be stored; send it again' });
    }
    // The host-down check of a woken object must not take the last durable sample for the last
    // arrival (HostObject.onStart); an attachment is the socket's, not a storage write.
    ws.serializeAttachment({ ...att, seen: now } satisfies Attachment);
    this.send(ws, { type: 'ack', seq: frame.seq, ...ack });
  }

  /** When the latest frame of any open stream arrived (survives hibernation), or null. */
  lastFrame(): number | null {
    let m: number | null = null;
    for (const ws of this.ctx.getWebSockets(STREAM_TAG)) {
      const seen = (ws.deserializeAttachment() as Attachment | null)?.seen;
      if (seen !== undefined && (m === null || seen > m)) m = seen;
    }
    return m;
  }

  onClose(ws: WebSocket, code: number): void {
    this.close(ws, code === 1005 || code === 1006 ? 1000 : code, 'closed');
  }

  /** Closes every stream opened with the key; returns how many. */
  revoke(keyId: string): number {
    const sockets = this.ctx.getWebSockets(KEY_TAG(keyId));
    for (const ws of sockets) this.close(ws, STREAM_CLOSE.revoked.code, STREAM_CLOSE.revoked.reason);
    return sockets.length;
  }

  /** 0 when a frame may pass now, else the ms until one may. */
  private take(now: number): number {
    if (this.options().unlimited) return 0;
    const rate = this.options().framesPerMinute;
    this.tokens = Math.min(rate, this.tokens + ((now - this.refilledAt) * rate) / 60_000);
    this.refilledAt = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil(((1 - this.tokens) * 60_000) / rate));
  }

  private error(ws: WebSocket, e: Omit<StreamError, 'type'>): void {
    this.send(ws, { type: 'error', ...e });
  }

  private send(ws: WebSocket, frame: object): void {
    try {
      ws.send(JSON.stringify(frame));
    } catch (err) {
      console.warn(JSON.stringify({ msg: 'stream send failed', error: String(err) }));
    }
  }

  private close(ws: WebSocket, code: number, reason: string): void {
    try {
      ws.close(code, reason);
    } catch {
      /* already closed */
    }
  }
}
