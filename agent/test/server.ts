// A loopback HTTP server that records what the agent POSTs, with a swappable responder.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

export interface Recorded {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  /** The gunzipped, parsed JSON body. */
  body: unknown;
}

export type Responder = (r: Recorded) => { status: number; body?: unknown; headers?: Record<string, string> };

export interface RecordingServer {
  url: string;
  port: number;
  requests: Recorded[];
  respond: Responder;
  close(): Promise<void>;
}

export async function recordingServer(port = 0, respond: Responder = () => ({ status: 200, body: { accepted: 1, duplicate: false, batchId: 'x' } })): Promise<RecordingServer> {
  const rec: RecordingServer = { url: '', port: 0, requests: [], respond, close: async () => {} };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const text = req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw).toString('utf8') : raw.toString('utf8');
      const r: Recorded = { method: req.method!, url: req.url!, headers: req.headers, body: text ? JSON.parse(text) : null };
      rec.requests.push(r);
      const out = rec.respond(r);
      res.writeHead(out.status, { 'content-type': 'application/json', ...out.headers });
      res.end(JSON.stringify(out.body ?? {}));
    });
  });
  await new Promise<void>((res) => server.listen(port, '127.0.0.1', res));
  rec.port = (server.address() as AddressInfo).port;
  rec.url = `http://127.0.0.1:${rec.port}`;
  rec.close = () => new Promise((res) => { server.closeAllConnections(); server.close(() => res()); });
  return rec;
}
