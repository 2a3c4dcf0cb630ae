// Log ingest and search requests from tests inside workerd (bodies: test/otlp-body.ts).
import { SELF } from 'cloudflare:test';
import type { LogHistogramResponse, LogSearchResponse } from '../protocol/logs.ts';
import { BASE, get } from './helpers.ts';

export { otlpLogs, type TestLogRecord } from './otlp-body.ts';

export function postOtlpLogs(key: string, body: unknown, init: { headers?: Record<string, string>; raw?: BodyInit } = {}) {
  return SELF.fetch(`${BASE}/v1/logs`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...init.headers },
    body: init.raw ?? JSON.stringify(body),
  });
}

/** POST /api/v1/logs with a raw body (NDJSON, an array…). */
export function postShipperLogs(key: string, body: BodyInit, init: { headers?: Record<string, string>; query?: string } = {}) {
  return SELF.fetch(`${BASE}/api/v1/logs${init.query ?? ''}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/x-ndjson', ...init.headers },
    body,
  });
}

export async function searchLogs(key: string, query: Record<string, string | number>): Promise<LogSearchResponse> {
  const qs = new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)]));
  const res = await get(key, `/api/v1/logs?${qs}`);
  if (res.status !== 200) throw new Error(`search ${qs}: ${res.status} ${await res.text()}`);
  return (await res.json()) as LogSearchResponse;
}

export async function histogram(key: string, query: Record<string, string | number>): Promise<LogHistogramResponse> {
  const res = await get(key, `/api/v1/logs/histogram?${new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)]))}`);
  if (res.status !== 200) throw new Error(`histogram: ${res.status} ${await res.text()}`);
  return (await res.json()) as LogHistogramResponse;
}
