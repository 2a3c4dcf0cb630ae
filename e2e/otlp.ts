// OTLP/HTTP from the browser tests (Node): the bodies are test/otlp-body.ts's, shared with the
// workerd tests.
export { otlpTraces, type TestSpan as E2eSpan } from '../test/otlp-body.ts';

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
