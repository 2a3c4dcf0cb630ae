// A WebSocket-to-TCP shim so that Neon's serverless driver (which speaks Postgres over a
// WebSocket) reaches a plain local Postgres. Only loopback targets are allowed: it is a dev and
// test tool, never an open proxy.
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import type { WebSocketServer as WSS } from 'ws';

// Loaded through require: under Vite's resolver the package's browser stub is picked otherwise.
const { WebSocketServer } = createRequire(import.meta.url)('ws') as { WebSocketServer: typeof WSS };

export interface Shim {
  port: number;
  /** Value for PG_WS_PROXY (host:port, no scheme). */
  proxy: string;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

export async function startPgWsShim(port = 0): Promise<Shim> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port });
  await new Promise<void>((resolve, reject) => {
    wss.once('listening', resolve);
    wss.once('error', reject);
  });
  wss.on('connection', (ws, req) => {
    const address = new URL(req.url ?? '/', 'http://x').searchParams.get('address') ?? '';
    const i = address.lastIndexOf(':');
    const host = address.slice(0, i);
    const targetPort = Number(address.slice(i + 1));
    if (!LOOPBACK.has(host) || !Number.isInteger(targetPort)) {
      ws.close(1008, 'only loopback Postgres targets are allowed');
      return;
    }
    const socket = net.connect({ host: host === 'localhost' ? '127.0.0.1' : host, port: targetPort });
    socket.setNoDelay(true);
    const pending: Buffer[] = [];
    let open = false;
    socket.on('connect', () => {
      open = true;
      for (const b of pending) socket.write(b);
      pending.length = 0;
    });
    ws.on('message', (data: Buffer) => (open ? socket.write(data) : pending.push(data)));
    socket.on('data', (chunk) => ws.readyState === ws.OPEN && ws.send(chunk));
    ws.on('close', () => socket.destroy());
    ws.on('error', () => socket.destroy());
    socket.on('close', () => ws.close(1000));
    socket.on('error', () => ws.close());
  });
  const actual = (wss.address() as AddressInfo).port;
  return {
    port: actual,
    proxy: `127.0.0.1:${actual}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => resolve());
      }),
  };
}
