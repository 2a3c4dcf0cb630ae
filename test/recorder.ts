// A loopback HTTP server that records every request, for alert delivery tests and the alerts
// benchmark. GET /_received?prefix=/x lists what arrived (oldest first); paths under /fail/ answer
// 500 and paths under /hang/ never answer.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  at: number;
}

export async function startRecorder(onRequest?: (r: Received) => void): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://recorder');
      if (req.method === 'GET' && url.pathname === '/_received') {
        const prefix = url.searchParams.get('prefix') ?? '';
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(received.filter((r) => r.path.startsWith(prefix))));
        return;
      }
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
      const r = { method: req.method ?? '', path: url.pathname, headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() };
      received.push(r);
      onRequest?.(r);
      if (url.pathname.startsWith('/hang/')) return; // never answers: the sender must time out
      res.writeHead(url.pathname.startsWith('/fail/') ? 500 : 200, { 'content-type': 'application/json' });
      res.end(url.pathname.startsWith('/fail/') ? '{"error":"down"}' : '{"id":"ok"}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
