// A loopback server speaking the ingest stream (protocol/ingest-stream.ts) and the POST, with
// the real one's delivery rules: a sample is stored once per timestamp, acks carry `received`
// and `durableThrough`. It can refuse the upgrade (a proxy that blocks WebSockets), hold samples
// in a volatile buffer so durableThrough lags (as a raw tier that writes less often than once a
// sample), and "restart": lose that buffer and either drop the sockets or say `ready` again on them.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { WebSocketServer, type WebSocket } from 'ws';
import { parseStreamFrame, STREAM_PATH } from '../../protocol/ingest-stream.ts';
import type { CollectRequest, Sample } from '../../protocol/index.ts';

export interface StreamSink {
  url: string;
  /** Answer upgrades with this status instead of accepting them (null: accept). */
  refuseUpgrade: number | null;
  /** Keep received samples in a buffer that a restart loses, until flush(). */
  lagDurable: boolean;
  /** Every stored sample, in arrival order (a sample stored twice would appear twice). */
  stored: Sample[];
  upgrades: number;
  frames: number;
  posts: number;
  /** The authorization header of each upgrade. */
  auth: string[];
  flush(): void;
  restart(how: 'close-sockets' | 'keep-sockets'): void;
  /** Restart (keeping sockets, then storing at once) right after sending the next ack. */
  restartAfterAck: boolean;
  close(): Promise<void>;
}

export async function startStreamSink(): Promise<StreamSink> {
  const buffer = new Map<number, Sample>();
  const held = new Set<number>();
  const sockets = new Set<WebSocket>();
  const durableThrough = () => {
    const stored = sink.stored.length ? Math.max(...sink.stored.map((s) => s.ts)) : null;
    if (buffer.size === 0) return stored;
    const firstVolatile = Math.min(...buffer.keys()) - 1;
    return stored === null ? null : Math.min(stored, firstVolatile);
  };
  const take = (b: CollectRequest) => {
    let accepted = 0;
    for (const s of b.samples) {
      if (held.has(s.ts) || buffer.has(s.ts)) continue;
      accepted++;
      if (sink.lagDurable) buffer.set(s.ts, s);
      else {
        held.add(s.ts);
        sink.stored.push(s);
      }
    }
    return accepted;
  };
  const ready = (ws: WebSocket) => ws.send(JSON.stringify({ type: 'ready', hostId: 'h', durableThrough: durableThrough(), maxFrameBytes: 1 << 20, framesPerMinute: 100 }));

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST') return void res.writeHead(404).end('{"error":{"code":"not_found","message":"no"}}');
      sink.posts++;
      const b = JSON.parse(gunzipSync(Buffer.concat(chunks)).toString('utf8')) as CollectRequest;
      const accepted = take(b);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ accepted, duplicate: accepted === 0, batchId: b.batchId, durableThrough: durableThrough() }));
    });
  });
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req: IncomingMessage, socket, head) => {
    sink.upgrades++;
    sink.auth.push(req.headers.authorization ?? '');
    if (!req.url?.startsWith(STREAM_PATH) || sink.refuseUpgrade !== null) {
      socket.end(`HTTP/1.1 ${sink.refuseUpgrade ?? 404} Refused\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      ws.on('close', () => sockets.delete(ws));
      ready(ws);
      ws.on('message', (data) => {
        sink.frames++;
        const p = parseStreamFrame(String(data), Date.now());
        if (!p.ok) return ws.send(JSON.stringify({ type: 'error', ...p.error }));
        const accepted = take(p.frame.batch);
        const received = Math.max(...p.frame.batch.samples.map((s) => s.ts));
        ws.send(JSON.stringify({ type: 'ack', seq: p.frame.seq, accepted, duplicate: accepted === 0, received, durableThrough: durableThrough() }));
        // The object restarting right after an ack: the ack and the new `ready` leave together.
        if (sink.restartAfterAck) {
          sink.restartAfterAck = false;
          sink.restart('keep-sockets');
          sink.lagDurable = false;
        }
      });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const sink: StreamSink = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    refuseUpgrade: null,
    lagDurable: false,
    restartAfterAck: false,
    stored: [],
    upgrades: 0,
    frames: 0,
    posts: 0,
    auth: [],
    flush() {
      for (const s of [...buffer.values()].sort((a, b) => a.ts - b.ts)) {
        held.add(s.ts);
        sink.stored.push(s);
      }
      buffer.clear();
    },
    restart(how) {
      buffer.clear(); // what was not written is gone
      for (const ws of sockets) how === 'close-sockets' ? ws.terminate() : ready(ws);
    },
    async close() {
      for (const ws of sockets) ws.terminate();
      wss.close();
      await new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r())));
    },
  };
  return sink;
}
