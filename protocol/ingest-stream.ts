// The ingest stream: an agent sends its samples over one WebSocket to its host's object
// (GET /api/v1/metrics/stream, docs/ingest.md "Streaming"). Each frame carries one batch of
// the POST contract (protocol/ingest.ts), so the two paths share one wire format and one parser;
// the object answers each frame with an ack that says what it received and, separately, what
// is durably stored, so the sender knows which samples it may forget.
import { z } from 'zod';
import { parseCollect, type ParseIssue } from './ingest-parse.ts';
import { checkTimestamps, HostInfo, LIMITS, type CollectRequest } from './ingest.ts';

export const STREAM_PATH = '/api/v1/metrics/stream';

/** The upgrade URL of a host: its identity travels in the query, so the worker can list it before the first frame. */
export function streamUrl(serverUrl: string, host: { id: string; name: string; os?: string; agentVersion?: string }): string {
  const u = new URL(serverUrl.replace(/\/+$/, '') + STREAM_PATH);
  u.protocol = u.protocol === 'https:' ? 'wss:' : u.protocol === 'http:' ? 'ws:' : u.protocol;
  u.searchParams.set('host', host.id);
  u.searchParams.set('name', host.name);
  if (host.os) u.searchParams.set('os', host.os);
  if (host.agentVersion) u.searchParams.set('agentVersion', host.agentVersion);
  return u.toString();
}

/** The query of the upgrade: the host's identity, as in a batch's `host`. */
export const StreamQuery = z.strictObject({
  host: HostInfo.shape.id,
  name: HostInfo.shape.name,
  os: HostInfo.shape.os,
  agentVersion: HostInfo.shape.agentVersion,
});

export const STREAM_LIMITS = {
  /** A frame's text, as the POST body (the platform itself takes 32 MiB: docs/scaling.md). */
  maxFrameBytes: LIMITS.maxBodyBytes,
  /** The per-collector ingest limit, counted per frame on the stream (worker/limits.ts). */
  framesPerMinute: 100,
  /**
   * A socket lives at most this long, then is closed with `reauthenticate`: the key is checked
   * again on the reconnect. This bounds a revoked key whose revocation push was missed.
   */
  maxAgeMs: 10 * 60_000,
} as const;

export const STREAM_CLOSE = {
  /** The socket reached its maximum age: reconnect at once (the key is checked again). */
  reauthenticate: { code: 4001, reason: 'reconnect to reauthenticate' },
  /** The key that opened the stream was revoked. Do not reconnect with it. */
  revoked: { code: 4003, reason: 'ingest key revoked' },
} as const;

/** Client -> server. `seq` is the sender's own counter, echoed in the answer. */
export type StreamClientFrame = { type: 'samples'; seq: number; batch: CollectRequest };

/** The exact keepalive text (answered by the runtime without waking the object, as on the live socket). */
export const STREAM_PING = '{"type":"ping"}';

export const StreamReady = z.object({
  type: z.literal('ready'),
  hostId: z.string(),
  /** Every sample of this host with a timestamp (ms) at or before this is durably stored; null: none. */
  durableThrough: z.number().int().nullable(),
  maxFrameBytes: z.number().int(),
  framesPerMinute: z.number().int(),
});

export const StreamAck = z.object({
  type: z.literal('ack'),
  seq: z.number().int(),
  /** Samples of the frame newly stored (a timestamp this host already holds is not stored again). */
  accepted: z.number().int(),
  /** True when the frame added nothing: its batchId, or every one of its timestamps, was already held. */
  duplicate: z.boolean(),
  /** The newest timestamp of the frame: every sample of it was received and evaluated for alerts. */
  received: z.number().int(),
  /** As in `ready`, after this frame. A sample is safe to forget once acked and at or before this. */
  durableThrough: z.number().int().nullable(),
});

export const StreamErrorCode = z.enum(['invalid_frame', 'too_large', 'rate_limited', 'host_mismatch', 'unavailable']);

export const StreamError = z.object({
  type: z.literal('error'),
  code: StreamErrorCode,
  /** The frame's seq when it could be read; the frame was not stored (the socket stays open). */
  seq: z.number().int().nullable(),
  message: z.string(),
  /** invalid_frame: each problem, with the field path as in the POST's 400 answer. */
  issues: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  /** rate_limited: send the frame again after this long. */
  retryAfterMs: z.number().int().optional(),
});

export const StreamServerFrame = z.discriminatedUnion('type', [StreamReady, StreamAck, StreamError, z.object({ type: z.literal('pong') })]);
export type StreamReady = z.infer<typeof StreamReady>;
export type StreamAck = z.infer<typeof StreamAck>;
export type StreamError = z.infer<typeof StreamError>;
export type StreamServerFrame = z.infer<typeof StreamServerFrame>;

/** `samples[0].ts` from ['batch', 'samples', 0, 'ts'] (the POST's error paths, under `batch`). */
export function fieldOf(path: readonly (string | number)[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else if (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(p)) out += out ? `.${p}` : p;
    else out += `[${JSON.stringify(p)}]`;
  }
  return out || '(frame)';
}

export type FrameResult =
  | { ok: true; frame: StreamClientFrame }
  | { ok: false; error: Omit<StreamError, 'type'> };

type Issue = { field: string; message: string };
const bad = (seq: number | null, message: string, issues?: Issue[], code: StreamError['code'] = 'invalid_frame'): FrameResult => ({
  ok: false,
  error: { code, seq, message, ...(issues ? { issues } : {}) },
});
const named = (issues: ParseIssue[]): Issue[] => issues.map((i) => ({ field: fieldOf(i.path), message: i.message }));

/**
 * Parses one client frame with the POST's parser and its timestamp window (`now`). Every refusal
 * names what is wrong; the caller sends it back and keeps the socket open.
 */
export function parseStreamFrame(data: string | ArrayBuffer, now: number): FrameResult {
  if (typeof data !== 'string') return bad(null, 'frames are JSON text; binary frames are not accepted');
  if (data.length > STREAM_LIMITS.maxFrameBytes) return bad(null, `frame over ${STREAM_LIMITS.maxFrameBytes} bytes; send fewer samples per frame`, undefined, 'too_large');
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch (err) {
    return bad(null, `frame is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return bad(null, 'a frame is a JSON object {"type":"samples","seq":<n>,"batch":{...}}');
  const f = json as Record<string, unknown>;
  const seq = typeof f.seq === 'number' && Number.isSafeInteger(f.seq) && f.seq >= 0 ? f.seq : null;
  const issues: ParseIssue[] = [];
  for (const k in f) if (k !== 'type' && k !== 'seq' && k !== 'batch') issues.push({ path: [k], message: `unknown field "${k}"` });
  if (f.type !== 'samples') issues.push({ path: ['type'], message: f.type === undefined ? 'is required ("samples")' : `unknown frame type ${JSON.stringify(f.type)}; the client sends "samples" (or the ping text)` });
  if (seq === null) issues.push({ path: ['seq'], message: 'must be a non-negative integer' });
  if (f.batch === undefined) issues.push({ path: ['batch'], message: 'is required' });
  else {
    const parsed = parseCollect(f.batch);
    if (!parsed.ok) issues.push(...parsed.issues.map((i) => ({ path: ['batch', ...i.path], message: i.message })));
    else if (!issues.length) {
      const late = checkTimestamps(parsed.data, now);
      if (late) return bad(seq, `batch.${late.path} ${late.message}`, [{ field: `batch.${late.path}`, message: late.message }]);
      return { ok: true, frame: { type: 'samples', seq: seq!, batch: parsed.data } };
    }
  }
  const list = named(issues);
  return bad(seq, `invalid frame: ${list.slice(0, 3).map((i) => `${i.field}: ${i.message}`).join('; ')}${list.length > 3 ? ` (and ${list.length - 3} more)` : ''}`, list);
}
