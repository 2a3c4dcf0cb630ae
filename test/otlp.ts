// OTLP/JSON bodies for tests inside workerd, built by hand as the OTLP JSON mapping says (hex ids,
// 64-bit integers as strings, enums as integers). The official SDKs' encodings are tested against
// the decoders in protocol/otlp and end to end in the stack tests.
import { SELF } from 'cloudflare:test';
import { BASE } from './helpers.ts';

let seq = 0;
const hex = (n: number, len: number) => n.toString(16).padStart(len, '0').slice(-len);

export interface TestSpan {
  route?: string;
  method?: string;
  status?: number;
  /** Span status code: 2 = ERROR. */
  statusCode?: number;
  kind?: number;
  durationMs: number;
  /** End time, epoch ms. */
  end: number;
  traceId?: string;
  attrs?: Record<string, unknown>;
}

function attr(key: string, v: unknown) {
  if (typeof v === 'string') return { key, value: { stringValue: v } };
  if (typeof v === 'boolean') return { key, value: { boolValue: v } };
  if (Number.isInteger(v)) return { key, value: { intValue: String(v) } };
  return { key, value: { doubleValue: v } };
}

export function otlpTraces(service: string, spans: TestSpan[], resource: Record<string, string> = {}) {
  return {
    resourceSpans: [
      {
        resource: { attributes: Object.entries({ 'service.name': service, ...resource }).map(([k, v]) => attr(k, v)) },
        scopeSpans: [
          {
            scope: { name: 'test' },
            spans: spans.map((s) => {
              const n = ++seq;
              const endNs = BigInt(Math.round(s.end * 1e6));
              const startNs = endNs - BigInt(Math.round(s.durationMs * 1e6));
              const attrs: Record<string, unknown> = { 'http.request.method': s.method ?? 'GET', ...s.attrs };
              if (s.route) attrs['http.route'] = s.route;
              if (s.status !== undefined) attrs['http.response.status_code'] = s.status;
              return {
                traceId: s.traceId ?? hex(n, 32).replace(/^0/, 'a'),
                spanId: hex(n, 16).replace(/^0/, 'b'),
                name: `${s.method ?? 'GET'} ${s.route ?? ''}`,
                kind: s.kind ?? 2,
                startTimeUnixNano: String(startNs),
                endTimeUnixNano: String(endNs),
                attributes: Object.entries(attrs).map(([k, v]) => attr(k, v)),
                status: s.statusCode ? { code: s.statusCode } : {},
              };
            }),
          },
        ],
      },
    ],
  };
}

export function postTraces(key: string, body: unknown, init: { headers?: Record<string, string>; raw?: BodyInit } = {}) {
  return SELF.fetch(`${BASE}/v1/traces`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...init.headers },
    body: init.raw ?? JSON.stringify(body),
  });
}
