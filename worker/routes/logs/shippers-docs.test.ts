// docs/logs.md's shipper configurations, taken from the page: what Fluent Bit, Vector and
// Logstash send with them (test/shippers.ts) is accepted by POST /api/v1/logs and every field
// lands where the page's mapping table says.
import { SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import page from '../../../docs/logs.md?raw';
import { BASE, seedTenant } from '../../../test/helpers.ts';
import { searchLogs } from '../../../test/logs.ts';
import { fences, fluentBitRequest, logstashRequest, parseFluentBit, vectorRequest, type ShipperRequest } from '../../../test/shippers.ts';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';

const send = (r: ShipperRequest) => SELF.fetch(`${BASE}${r.path}`, { method: 'POST', headers: r.headers, body: r.body });

const fluentBit = fences(page, 'ini').find((b) => /Name\s+http/.test(b))!;
const vector = fences(page, 'toml').find((b) => /type = "http"/.test(b))!;
const logstash = fences(page, 'ruby').find((b) => /http\s*\{/.test(b))!;

describe('docs/logs.md shipper configurations', () => {
  it('are on the page, configured as the mapping needs', () => {
    expect(parseFluentBit(fluentBit).props).toMatchObject({ format: 'json_lines', json_date_key: 'date', uri: '/api/v1/logs?service=nginx' });
    expect(vector).toMatch(/framing\.method = "newline_delimited"/);
    expect(logstash).toMatch(/format => "json_batch"/);
  });

  // The page's block as it is, then each other date format Fluent Bit has.
  it.each(['as on the page', 'epoch', 'epoch_ms', 'iso8601', 'java_sql_timestamp'])('Fluent Bit json_lines, json_date_format %s', async (fmt) => {
    const { ingestKey, readKey } = await seedTenant();
    const ini = fmt === 'as on the page' ? fluentBit : fluentBit.replace(/Json_date_format\s+\S+/, `Json_date_format  ${fmt}`);
    const base = (Math.floor(Date.now() / 1000) - 30) * 1_000_000 + 123_456; // µs, with a fraction
    const records = [
      // tail + docker parser + kubernetes filter
      { us: base, record: { log: 'GET /health HTTP/1.1 200\n', stream: 'stdout', kubernetes: { pod_name: 'nginx-7c9', namespace_name: 'web', labels: { app: 'nginx' } } } },
      // an app's JSON log, parsed
      { us: base + 1, record: { level: 'error', msg: 'payment failed: card declined', trace_id: TRACE, span_id: SPAN, service: 'payments', order: 1042 } },
    ];
    const req = fluentBitRequest(ini, records, { PULSE_INGEST_KEY: ingestKey });
    const res = await send(req);
    const answer = await res.json();
    expect(res.status, JSON.stringify(answer)).toBe(200);
    expect(answer).toEqual({ accepted: 2, rejected: 0, errors: [] });

    const [payment, health] = (await searchLogs(readKey, {})).lines;
    const precision = { 'as on the page': 0.001, epoch: 1000, epoch_ms: 1, iso8601: 0.001, java_sql_timestamp: 0.001 }[fmt]!;
    const expectTs = (ts: number, us: number) => expect(Math.abs(ts - Math.floor(us / 1000 / precision) * precision)).toBeLessThan(0.0011);
    expect(health).toMatchObject({ service: 'nginx', message: 'GET /health HTTP/1.1 200', severity: 0, traceId: null });
    expect(health!.attributes).toEqual({ stream: 'stdout', 'kubernetes.pod_name': 'nginx-7c9', 'kubernetes.namespace_name': 'web', 'kubernetes.labels.app': 'nginx' });
    expectTs(health!.ts, base);
    expect(payment).toMatchObject({ service: 'payments', message: 'payment failed: card declined', level: 'error', severity: 17, traceId: TRACE, spanId: SPAN, attributes: { order: 1042 } });
    expectTs(payment!.ts, base + 1);
    expect((await searchLogs(readKey, { q: 'card declined', level: 'error', service: 'payments', trace_id: TRACE })).lines).toHaveLength(1);
    expect((await searchLogs(readKey, { 'attr.kubernetes.labels.app': 'nginx' })).lines).toHaveLength(1);
  });

  it('Vector http sink, json codec, newline-delimited', async () => {
    const { ingestKey, readKey } = await seedTenant();
    const t = new Date(Date.now() - 20_000);
    const events = [
      { file: '/var/log/app.log', host: 'web-1', message: 'worker started', source_type: 'file', timestamp: t.toISOString().replace('Z', '123456Z') },
      { host: 'web-1', message: '{"unparsed": true}', source_type: 'file', timestamp: new Date(t.getTime() + 5).toISOString(), level: 'WARN' },
    ];
    const req = vectorRequest(vector, events, { PULSE_INGEST_KEY: ingestKey });
    expect(req.headers['content-type']).toBe('application/x-ndjson');
    const res = await send(req);
    expect(res.status, await res.clone().text()).toBe(200);
    const [warn, started] = (await searchLogs(readKey, { service: 'app' })).lines;
    expect(started).toMatchObject({ message: 'worker started', attributes: { file: '/var/log/app.log', host: 'web-1', source_type: 'file' } });
    expect(started!.ts).toBeCloseTo(t.getTime() + 0.123, 3);
    expect(warn).toMatchObject({ message: '{"unparsed": true}', severity: 13, level: 'WARN' });
  });

  it('Logstash http output, json_batch', async () => {
    const { ingestKey, readKey } = await seedTenant();
    const t = new Date(Date.now() - 10_000).toISOString();
    const events = [{ '@timestamp': t, '@version': '1', message: 'GET /cart 500', host: { name: 'lb-2' }, log: { file: { path: '/var/log/nginx/access.log' } }, event: { original: 'GET /cart 500' } }];
    const res = await send(logstashRequest(logstash, events, { PULSE_INGEST_KEY: ingestKey }));
    expect(res.status, await res.clone().text()).toBe(200);
    const [line] = (await searchLogs(readKey, { service: 'app' })).lines;
    expect(line).toMatchObject({ message: 'GET /cart 500', ts: Date.parse(t) });
    expect(line!.attributes).toEqual({ '@version': '1', 'host.name': 'lb-2', 'log.file.path': '/var/log/nginx/access.log', 'event.original': 'GET /cart 500' });
  });
});
