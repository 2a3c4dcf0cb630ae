// OTLP/JSON trace bodies for tests, in workerd (test/otlp.ts) and Node (e2e/otlp.ts), built by
// hand as the OTLP JSON mapping says (hex ids, 64-bit integers as strings, enums as integers).
// The official SDKs' encodings are tested against the decoders in protocol/otlp and end to end
// against the stack (e2e/apm-demo.test.ts).

/** Random ids: a body identical to an earlier one would be counted once, as an SDK's retry. */
function randomHex(bytes: number): string {
  const b = crypto.getRandomValues(new Uint8Array(bytes));
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

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
              const endNs = BigInt(Math.round(s.end * 1e6));
              const startNs = endNs - BigInt(Math.round(s.durationMs * 1e6));
              const attrs: Record<string, unknown> = { 'http.request.method': s.method ?? 'GET', ...s.attrs };
              if (s.route) attrs['http.route'] = s.route;
              if (s.status !== undefined) attrs['http.response.status_code'] = s.status;
              return {
                traceId: s.traceId ?? randomHex(16),
                spanId: randomHex(8),
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


export interface TestLogRecord {
  /** Epoch ms. */
  time: number;
  body?: unknown;
  severityNumber?: number;
  severityText?: string;
  traceId?: string;
  spanId?: string;
  attrs?: Record<string, unknown>;
}

/** An OTLP/JSON ExportLogsServiceRequest, one resource (service.name + `resource`). */
export function otlpLogs(service: string, records: TestLogRecord[], resource: Record<string, string> = {}) {
  return {
    resourceLogs: [
      {
        resource: { attributes: Object.entries({ 'service.name': service, ...resource }).map(([k, v]) => attr(k, v)) },
        scopeLogs: [
          {
            scope: { name: 'test' },
            logRecords: records.map((r) => ({
              timeUnixNano: String(BigInt(Math.round(r.time * 1e6))),
              ...(r.severityNumber !== undefined && { severityNumber: r.severityNumber }),
              ...(r.severityText !== undefined && { severityText: r.severityText }),
              ...(r.body !== undefined && { body: typeof r.body === 'string' ? { stringValue: r.body } : attr('', r.body).value }),
              attributes: Object.entries(r.attrs ?? {}).map(([k, v]) => attr(k, v)),
              ...(r.traceId && { traceId: r.traceId }),
              ...(r.spanId && { spanId: r.spanId }),
            })),
          },
        ],
      },
    ],
  };
}
