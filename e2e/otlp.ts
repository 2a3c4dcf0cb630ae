// OTLP/JSON trace bodies for the browser tests (Node; test/otlp.ts is the workerd twin), built by
// hand as the OTLP JSON mapping says: hex ids, 64-bit integers as strings, enums as integers.
import { randomBytes } from 'node:crypto';

export interface E2eSpan {
  /** `http.route`; the service counts the span under `METHOD route`. */
  route: string;
  method?: string;
  status?: number;
  durationMs: number;
  /** End time, epoch ms (the second it counts in). */
  end: number;
}

const attr = (key: string, v: string | number) => (typeof v === 'number' ? { key, value: { intValue: String(v) } } : { key, value: { stringValue: v } });

/** One resource (service.name plus e.g. host.name) with SERVER spans. */
export function otlpTraces(service: string, spans: E2eSpan[], resource: Record<string, string> = {}) {
  return {
    resourceSpans: [
      {
        resource: { attributes: Object.entries({ 'service.name': service, ...resource }).map(([k, v]) => attr(k, v)) },
        scopeSpans: [
          {
            scope: { name: 'e2e' },
            spans: spans.map((s) => {
              const endNs = BigInt(Math.round(s.end)) * 1_000_000n;
              const startNs = endNs - BigInt(Math.round(s.durationMs * 1e6));
              const method = s.method ?? 'GET';
              return {
                traceId: randomBytes(16).toString('hex'),
                spanId: randomBytes(8).toString('hex'),
                name: `${method} ${s.route}`,
                kind: 2, // SERVER
                startTimeUnixNano: String(startNs),
                endTimeUnixNano: String(endNs),
                attributes: [attr('http.request.method', method), attr('http.route', s.route), ...(s.status === undefined ? [] : [attr('http.response.status_code', s.status)])],
                status: {},
              };
            }),
          },
        ],
      },
    ],
  };
}

/** POST /v1/traces with an ingest key, as an SDK pointed at the origin would. */
export async function postTraces(url: string, key: string, body: unknown): Promise<void> {
  const res = await fetch(`${url}/v1/traces`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`/v1/traces answered ${res.status}: ${text}`);
  const partial = (JSON.parse(text || '{}') as { partialSuccess?: { rejectedSpans?: string | number; errorMessage?: string } }).partialSuccess;
  if (Number(partial?.rejectedSpans ?? 0) > 0) throw new Error(`/v1/traces rejected spans: ${partial?.errorMessage}`);
}
