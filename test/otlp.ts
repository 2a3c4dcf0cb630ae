// OTLP/HTTP requests from tests inside workerd (bodies: test/otlp-body.ts).
import { SELF } from 'cloudflare:test';
import { BASE } from './helpers.ts';

export { otlpTraces, type TestSpan } from './otlp-body.ts';

export function postTraces(key: string, body: unknown, init: { headers?: Record<string, string>; raw?: BodyInit } = {}) {
  return SELF.fetch(`${BASE}/v1/traces`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...init.headers },
    body: init.raw ?? JSON.stringify(body),
  });
}
