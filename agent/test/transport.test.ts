import { afterEach, describe, expect, it } from 'vitest';
import { CollectRequest } from '../../protocol/index.ts';
import { collectUrl, encodeBatch, httpTransport, retryAfterMs } from '../transport.ts';
import { recordingServer, type RecordingServer } from './server.ts';

const batch: CollectRequest = {
  host: { id: 'h1', name: 'web-1', os: 'Linux', agentVersion: '0.1.0' },
  batchId: 'h1-1700000000000-abcd',
  samples: [{ ts: 1_700_000_000_000, metrics: { 'cpu.usage.total': 12.5, 'cpu.cores.usage': [{ labels: { core: '0' }, value: 10.1 }] } }],
};

let server: RecordingServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const noSleep: number[] = [];
const sleep = async (ms: number) => void noSleep.push(ms);

describe('httpTransport', () => {
  it('POSTs the gzipped batch with the bearer key to the collect path', async () => {
    server = await recordingServer();
    const send = httpTransport({ serverUrl: server.url + '/', apiKey: 'ik_test', sleep });
    const r = await send(encodeBatch(batch), batch.batchId, 3);
    expect(r).toMatchObject({ kind: 'ok', status: 200, attempts: 1, failedAttempts: 0 });
    const req = server.requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/api/v1/metrics/collect');
    expect(req.headers.authorization).toBe('Bearer ik_test');
    expect(req.headers['content-encoding']).toBe('gzip');
    expect(req.headers['content-type']).toBe('application/json');
    expect(CollectRequest.parse(req.body)).toEqual(batch);
  });

  it('retries 5xx up to 3 times with growing backoff, then fails', async () => {
    server = await recordingServer(0, () => ({ status: 503, body: { error: { code: 'unavailable' } } }));
    noSleep.length = 0;
    const send = httpTransport({ serverUrl: server.url, apiKey: 'k', backoffMs: 100, sleep });
    const r = await send(encodeBatch(batch), batch.batchId, 3);
    expect(r).toMatchObject({ kind: 'failed', status: 503, attempts: 4, failedAttempts: 4 });
    expect(server.requests).toHaveLength(4);
    expect(noSleep).toHaveLength(3);
    expect(noSleep[2]!).toBeGreaterThan(noSleep[0]!);
  });

  it('does not retry a 400 and returns the server JSON error', async () => {
    const error = { error: { code: 'invalid', message: 'samples.0.ts: is older than 24 h', path: 'samples.0.ts' } };
    server = await recordingServer(0, () => ({ status: 400, body: error }));
    const send = httpTransport({ serverUrl: server.url, apiKey: 'k', sleep });
    const r = await send(encodeBatch(batch), batch.batchId, 3);
    expect(r).toMatchObject({ kind: 'rejected', status: 400, attempts: 1, error });
    expect(server.requests).toHaveLength(1);
  });

  it('retries 429 after Retry-After and 408, succeeding when the server recovers', async () => {
    let n = 0;
    server = await recordingServer(0, () => (++n === 1 ? { status: 429, headers: { 'retry-after': '2' } } : n === 2 ? { status: 408 } : { status: 202 }));
    noSleep.length = 0;
    const send = httpTransport({ serverUrl: server.url, apiKey: 'k', backoffMs: 10, sleep });
    const r = await send(encodeBatch(batch), batch.batchId, 3);
    expect(r).toMatchObject({ kind: 'ok', status: 202, attempts: 3, failedAttempts: 2 });
    expect(noSleep[0]).toBe(2000);
  });

  it('fails (retryably) when nothing listens', async () => {
    const s = await recordingServer();
    await s.close();
    const send = httpTransport({ serverUrl: s.url, apiKey: 'k', sleep });
    const r = await send(encodeBatch(batch), batch.batchId, 1);
    expect(r).toMatchObject({ kind: 'failed', attempts: 2, failedAttempts: 2 });
    expect(String((r as { error: unknown }).error)).toMatch(/fetch failed|ECONNREFUSED|Unable to connect/);
  });

  it('keeps a path prefix of the server URL', () => {
    expect(collectUrl('https://example.test/monitor/')).toBe('https://example.test/monitor/api/v1/metrics/collect');
    expect(retryAfterMs('3')).toBe(3000);
    expect(retryAfterMs(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(retryAfterMs(null)).toBeUndefined();
  });
});
