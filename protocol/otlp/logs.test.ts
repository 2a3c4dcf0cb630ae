// Log records made by the official SDK (every body kind, AnyValue attributes, trace context),
// serialized by the official OTLP serializers: protobuf and JSON decode to the same records, and
// to what the SDK held.
import { ROOT_CONTEXT, SeverityNumber, trace, TraceFlags } from '@opentelemetry/api';
import { JsonLogsSerializer, ProtobufLogsSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor, type ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { describe, expect, it } from 'vitest';
import { decodeLogs, validateLogRecord, type LogRecord, type LogsRequest } from './index.ts';
import { expectedAttrs, expectedValue, ns } from './test-helpers.ts';

const TRACE = '0af7651916cd43dd8448eb211c80319c';
const SPAN = 'b7ad6b7169203331';

async function makeLogs(): Promise<ReadableLogRecord[]> {
  const exporter = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({ 'service.name': 'mailer', 'k8s.pod.name': 'mailer-7f9c' }),
    processors: [new SimpleLogRecordProcessor({ exporter })],
  });
  const logger = provider.getLogger('pulse.logs', '3.1.0', { schemaUrl: 'https://example.test/logs-schema' });
  const inSpan = trace.setSpanContext(ROOT_CONTEXT, { traceId: TRACE, spanId: SPAN, traceFlags: TraceFlags.SAMPLED });
  const t = 1_760_000_000;
  logger.emit({ timestamp: [t, 1], observedTimestamp: [t, 2], severityNumber: SeverityNumber.INFO, severityText: 'INFO', body: 'user signed in', attributes: { 'user.id': 42, admin: false }, context: inSpan });
  logger.emit({ timestamp: [t, 3], severityNumber: SeverityNumber.ERROR2, severityText: 'error', body: { msg: 'send failed', attempt: 3, ratio: 0.5, tags: ['smtp', 'retry'], nested: { code: 451, ok: false } } });
  logger.emit({ timestamp: [t, 4], severityNumber: SeverityNumber.FATAL4, body: new Uint8Array([0, 1, 2, 254, 255]) });
  logger.emit({ timestamp: [t, 5], severityNumber: SeverityNumber.DEBUG, body: 12345 });
  logger.emit({ timestamp: [t, 6], body: -1.5 });
  logger.emit({ timestamp: [t, 7], body: true });
  logger.emit({ timestamp: [t, 8], body: ['a', 1, 2.5, false, null] });
  logger.emit({ timestamp: [t, 9], body: 2 ** 62 });
  logger.emit({ timestamp: [t, 10], eventName: 'session.start', attributes: { map: { a: 1, b: 'two', c: [true] }, bytes: new Uint8Array([9, 8, 7]) } });
  logger.emit({ timestamp: [t, 11], severityNumber: SeverityNumber.WARN, severityText: 'WARN' }); // no body
  await provider.forceFlush();
  return exporter.getFinishedLogRecords();
}

function expected(l: ReadableLogRecord): LogRecord {
  return {
    timeUnixNano: ns(l.hrTime),
    observedTimeUnixNano: ns(l.hrTimeObserved),
    severityNumber: l.severityNumber ?? 0,
    severityText: l.severityText ?? '',
    body: expectedValue(l.body),
    attributes: expectedAttrs(l.attributes),
    droppedAttributesCount: 0,
    flags: l.spanContext?.traceFlags ?? 0,
    traceId: l.spanContext?.traceId ?? '',
    spanId: l.spanContext?.spanId ?? '',
    eventName: l.eventName ?? '',
  };
}

const records = (r: LogsRequest) => r.resourceLogs.flatMap((rl) => rl.scopeLogs.flatMap((s) => s.logRecords));

describe('OTLP logs from the official SDK and serializers', async () => {
  const logs = await makeLogs();
  const fromProto = decodeLogs(ProtobufLogsSerializer.serializeRequest(logs)!, 'protobuf');
  const fromJson = decodeLogs(JsonLogsSerializer.serializeRequest(logs)!, 'json');

  it('protobuf and JSON decode to deep-equal records', () => {
    expect(records(fromProto)).toHaveLength(10);
    expect(fromJson).toStrictEqual(fromProto);
  });

  it.each([
    ['protobuf', fromProto],
    ['json', fromJson],
  ])('%s: every record is what the SDK held', (_, req) => {
    expect(req.resourceLogs).toHaveLength(1);
    expect(req.resourceLogs[0]!.resource.attributes).toMatchObject({ 'service.name': 'mailer', 'k8s.pod.name': 'mailer-7f9c' });
    const scopes = req.resourceLogs[0]!.scopeLogs;
    expect(scopes.map((s) => [s.scope.name, s.scope.version, s.schemaUrl])).toStrictEqual([['pulse.logs', '3.1.0', 'https://example.test/logs-schema']]);
    expect(records(req)).toStrictEqual(logs.map(expected));
    for (const r of records(req)) expect(validateLogRecord(r)).toBeNull();
  });

  it.each([
    ['protobuf', fromProto],
    ['json', fromJson],
  ])('%s: bodies, severities and trace context', (_, req) => {
    const r = records(req);
    expect(r.map((x) => x.body)).toStrictEqual([
      'user signed in',
      { msg: 'send failed', attempt: 3, ratio: 0.5, tags: ['smtp', 'retry'], nested: { code: 451, ok: false } },
      new Uint8Array([0, 1, 2, 254, 255]),
      12345,
      -1.5,
      true,
      ['a', 1, 2.5, false], // null: an empty AnyValue, skipped
      2n ** 62n,
      undefined,
      undefined,
    ]);
    expect(r.map((x) => x.severityNumber)).toStrictEqual([9, 18, 24, 5, 0, 0, 0, 0, 0, 13]);
    expect(r[0]).toMatchObject({ traceId: TRACE, spanId: SPAN, flags: 1, severityText: 'INFO', timeUnixNano: 1_760_000_000_000_000_001n, observedTimeUnixNano: 1_760_000_000_000_000_002n });
    expect(r[1]).toMatchObject({ traceId: '', spanId: '', flags: 0 });
    expect(r[8]).toMatchObject({ eventName: 'session.start', attributes: { map: { a: 1, b: 'two', c: [true] }, bytes: new Uint8Array([9, 8, 7]) } });
  });
});
