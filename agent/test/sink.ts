// A loopback ingest server that behaves like the real one where delivery guarantees are concerned:
// a batch is stored once per batchId, and a repeat is acknowledged as a duplicate. It can be taken
// down (port closed) and brought back on the same port, answer 503, answer slowly, or store a
// batch and then drop the connection before answering (the "lost acknowledgement" case).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import type { CollectRequest } from '../../protocol/index.ts';

export type SinkMode = 'up' | '503' | 'slow' | 'drop-after-store';

export interface Sink {
  url: string;
  port: number;
  mode: SinkMode;
  slowMs: number;
  /** Batches stored, in arrival order (first copy only). */
  stored: CollectRequest[];
  /** Every request that reached the handler, including duplicates and 503s. */
  received: { batchId: string; at: number; duplicate: boolean; mode: SinkMode }[];
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

export async function startSink(port = 0): Promise<Sink> {
  let server: Server | null = null;
  const ids = new Set<string>();
  const sink: Sink = {
    url: '',
    port,
    mode: 'up',
    slowMs: 300,
    stored: [],
    received: [],
    async down() {
      const s = server;
      server = null;
      if (s) await new Promise<void>((r) => (s.closeAllConnections(), s.close(() => r())));
    },
    async up() {
      const s = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const mode = sink.mode;
          const body = JSON.parse(gunzipSync(Buffer.concat(chunks)).toString('utf8')) as CollectRequest;
          if (mode === '503') {
            sink.received.push({ batchId: body.batchId, at: Date.now(), duplicate: false, mode });
            res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":{"code":"unavailable","message":"down for maintenance"}}');
            return;
          }
          const duplicate = ids.has(body.batchId);
          sink.received.push({ batchId: body.batchId, at: Date.now(), duplicate, mode });
          if (!duplicate) {
            ids.add(body.batchId);
            sink.stored.push(body);
          }
          const answer = () => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ accepted: body.samples.length, duplicate, batchId: body.batchId }));
          if (mode === 'drop-after-store') req.socket.destroy();
          else if (mode === 'slow') setTimeout(answer, sink.slowMs);
          else answer();
        });
      });
      await new Promise<void>((r, rej) => {
        s.once('error', rej);
        s.listen(sink.port, '127.0.0.1', () => r());
      });
      server = s;
      sink.port = (s.address() as AddressInfo).port;
      sink.url = `http://127.0.0.1:${sink.port}`;
    },
    close() {
      return sink.down();
    },
  };
  await sink.up();
  return sink;
}

/** Every stored sample's ts, in arrival order. */
export const storedTs = (s: Sink) => s.stored.flatMap((b) => b.samples.map((x) => x.ts));
