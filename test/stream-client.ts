// An ingest-stream client for tests inside workerd: opens GET /api/v1/metrics/stream through the
// worker and queues the server's frames, so a test can send frames and await answers in order.
import { SELF } from 'cloudflare:test';
import { STREAM_PATH, type StreamServerFrame } from '../protocol/ingest-stream.ts';
import type { CollectRequest } from '../protocol/ingest.ts';
import { BASE } from './helpers.ts';
import { LiveClient } from './live-client.ts';

/** The live-socket test client's queue (test/live-client.ts), plus sending samples frames. */
export class StreamClient extends LiveClient<StreamServerFrame> {
  private seq = 0;

  /** Sends a samples frame; returns its seq. */
  send(batch: CollectRequest, seq = ++this.seq): number {
    this.ws.send(JSON.stringify({ type: 'samples', seq, batch }));
    return seq;
  }

  /** Sends a frame and returns the answer to it. */
  async call(batch: CollectRequest): Promise<StreamServerFrame> {
    this.send(batch);
    return this.next();
  }
}

export function streamQuery(host: string, extra: Record<string, string> = {}): string {
  return `${STREAM_PATH}?${new URLSearchParams({ host, name: `${host}.example`, os: 'linux', agentVersion: '0.1.0', ...extra })}`;
}

export function openStream(path: string, headers: Record<string, string>): Promise<Response> {
  return SELF.fetch(`${BASE}${path}`, { headers: { upgrade: 'websocket', ...headers } });
}

/** Opens a stream for `host` with `key` and returns it after its `ready` frame. */
export async function connect(key: string, host: string): Promise<{ client: StreamClient; ready: Extract<StreamServerFrame, { type: 'ready' }> }> {
  const res = await openStream(streamQuery(host), { authorization: `Bearer ${key}` });
  if (res.status !== 101 || !res.webSocket) throw new Error(`upgrade failed: ${res.status} ${await res.text()}`);
  const client = new StreamClient(res.webSocket);
  const ready = await client.next();
  if (ready.type !== 'ready') throw new Error(`expected ready, got ${JSON.stringify(ready)}`);
  return { client, ready };
}
