// The ingest wire contract: POST /api/v1/metrics/collect. Documented for third-party senders in
// docs/ingest.md. Every bound below is enforced by the worker and answered with a 4xx naming the field.
import { z } from 'zod';
import { CUSTOM_NAME, METRICS } from './metrics.ts';

export const LIMITS = {
  /** Decompressed body size. */
  maxBodyBytes: 1024 * 1024,
  maxSamplesPerBatch: 500,
  maxSeriesPerSample: 2000,
  maxLabelsPerValue: 8,
  /** A sample may be at most this old: the raw tier keeps 24 h and rollups are built from it. */
  maxPastMs: 24 * 60 * 60 * 1000 - 10 * 60 * 1000,
  /** Clock skew allowed into the future. */
  maxFutureMs: 5 * 60 * 1000,
} as const;

const idString = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9._-]+$/, 'may contain only letters, digits, ".", "_" and "-"');

/**
 * What a batch without `host.os` or `host.agentVersion` is stored and shown with: third-party
 * senders need not invent them (docs/ingest.md states these values).
 */
export const HOST_DEFAULTS = { os: 'unknown', agentVersion: 'unknown' } as const;

export const HostInfo = z.strictObject({
  id: idString,
  name: z.string().min(1).max(255),
  os: z.string().min(1).max(64).default(HOST_DEFAULTS.os),
  agentVersion: z.string().min(1).max(64).default(HOST_DEFAULTS.agentVersion),
});
/** As parsed: `os` and `agentVersion` always present (defaults filled in). */
export type HostInfo = z.infer<typeof HostInfo>;

const finite = z.number().refine(Number.isFinite, 'must be a finite number');

export const LabelledValue = z.strictObject({
  labels: z
    .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'label names are [A-Za-z_][A-Za-z0-9_]*'), z.string().max(256))
    .refine((l) => Object.keys(l).length <= LIMITS.maxLabelsPerValue, `at most ${LIMITS.maxLabelsPerValue} labels`),
  value: finite,
});
export type LabelledValue = z.infer<typeof LabelledValue>;

export const MetricValue = z.union([finite, z.array(LabelledValue).max(LIMITS.maxSeriesPerSample)], {
  error: (iss) =>
    typeof iss.input === 'number'
      ? 'must be a finite number'
      : 'must be a number, or a list of {"labels": {...}, "value": <number>}',
});
export type MetricValue = z.infer<typeof MetricValue>;

const LABEL_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const SHAPE = 'must be a number, or a list of {"labels": {...}, "value": <number>}';

type Issue = { path: (string | number)[]; message: string };

/**
 * Checks a sample's metrics by hand, in one pass. zod compiles object schemas with `new Function`,
 * which workerd forbids, so per-value zod schemas ran on its slow path and cost milliseconds
 * per sample there (docs/performance.md). `SampleDoc` below states the same shape for the
 * OpenAPI document; protocol/ingest.test.ts proves the two agree.
 */
export function checkMetrics(metrics: Record<string, unknown>): Issue[] {
  const issues: Issue[] = [];
  let series = 0;
  for (const name in metrics) {
    const value = metrics[name];
    const path = ['metrics', name];
    const def = METRICS.get(name);
    if (!def && !CUSTOM_NAME.test(name)) {
      issues.push({ path, message: `unknown metric "${name}"` });
      continue;
    }
    if (typeof value === 'number') {
      series++;
      if (!Number.isFinite(value)) issues.push({ path, message: 'must be a finite number' });
      else if (def?.label) issues.push({ path, message: `must be a list of values labelled by "${def.label}"` });
      continue;
    }
    if (!Array.isArray(value)) {
      issues.push({ path, message: SHAPE });
      continue;
    }
    if (def && !def.label) {
      issues.push({ path, message: 'must be a number' });
      continue;
    }
    if (value.length > LIMITS.maxSeriesPerSample) {
      issues.push({ path, message: `at most ${LIMITS.maxSeriesPerSample} values` });
      continue;
    }
    series += value.length;
    const seen = new Set<string>();
    for (let i = 0; i < value.length; i++) {
      const v = value[i] as Record<string, unknown> | null;
      if (typeof v !== 'object' || v === null || Array.isArray(v)) {
        issues.push({ path: [...path, i], message: 'must be {"labels": {...}, "value": <number>}' });
        continue;
      }
      for (const k in v) if (k !== 'labels' && k !== 'value') issues.push({ path: [...path, i, k], message: `unknown field "${k}"` });
      if (typeof v.value !== 'number' || !Number.isFinite(v.value)) issues.push({ path: [...path, i, 'value'], message: 'must be a finite number' });
      const labels = v.labels as Record<string, unknown> | null;
      if (typeof labels !== 'object' || labels === null || Array.isArray(labels)) {
        issues.push({ path: [...path, i, 'labels'], message: 'must be an object of label name to string' });
        continue;
      }
      const keys = Object.keys(labels);
      if (keys.length > LIMITS.maxLabelsPerValue) issues.push({ path: [...path, i, 'labels'], message: `at most ${LIMITS.maxLabelsPerValue} labels` });
      for (const k of keys) {
        const lv = labels[k];
        if (!LABEL_NAME.test(k)) issues.push({ path: [...path, i, 'labels', k], message: 'label names are [A-Za-z_][A-Za-z0-9_]*' });
        else if (typeof lv !== 'string' || lv.length > 256) issues.push({ path: [...path, i, 'labels', k], message: 'must be a string of at most 256 characters' });
      }
      if (def?.label && (keys.length !== 1 || keys[0] !== def.label))
        issues.push({ path: [...path, i, 'labels'], message: `must be exactly {"${def.label}": "..."}` });
      const key = keys.length === 1 ? `${keys[0]}\u0000${String(labels[keys[0]!])}` : JSON.stringify(Object.entries(labels).sort());
      if (seen.has(key)) issues.push({ path: [...path, i, 'labels'], message: 'duplicate labels' });
      seen.add(key);
    }
  }
  if (series > LIMITS.maxSeriesPerSample) issues.push({ path: ['metrics'], message: `at most ${LIMITS.maxSeriesPerSample} series per sample` });
  return issues;
}

const Timestamp = z.number().int('must be an integer (milliseconds since the epoch)').positive();
const MetricsObject = z.custom<Record<string, MetricValue>>(
  (v) => typeof v === 'object' && v !== null && !Array.isArray(v),
  'must be an object of metric name to value',
);

export const Sample = z
  .strictObject({ ts: Timestamp, metrics: MetricsObject })
  .superRefine((s, ctx) => {
    for (const i of checkMetrics(s.metrics)) ctx.addIssue({ code: 'custom', path: i.path, message: i.message });
  });
export type Sample = z.infer<typeof Sample>;

/** The same contract spelled out for the OpenAPI document (not used to parse). */
export const SampleDoc = z
  .strictObject({ ts: Timestamp, metrics: z.record(z.string(), MetricValue) })
  .superRefine((s, ctx) => {
    for (const i of checkMetrics(s.metrics)) ctx.addIssue({ code: 'custom', path: i.path, message: i.message });
  });

function distinctTimestamps(b: { samples: { ts: number }[] }, ctx: z.RefinementCtx) {
  const seen = new Set<number>();
  b.samples.forEach((s, i) => {
    if (seen.has(s.ts)) ctx.addIssue({ code: 'custom', path: ['samples', i, 'ts'], message: 'duplicate timestamp in batch' });
    seen.add(s.ts);
  });
}

export const CollectRequest = z
  .strictObject({
    host: HostInfo,
    batchId: idString,
    samples: z.array(Sample).min(1).max(LIMITS.maxSamplesPerBatch),
  })
  .superRefine(distinctTimestamps);
export type CollectRequest = z.infer<typeof CollectRequest>;

export const CollectRequestDoc = z
  .strictObject({
    host: HostInfo,
    batchId: idString,
    samples: z.array(SampleDoc).min(1).max(LIMITS.maxSamplesPerBatch),
  })
  .superRefine(distinctTimestamps);

/** Checked at the edge with the server's clock, not in the schema, so the schema stays pure. */
export function checkTimestamps(batch: CollectRequest, now: number): { path: string; message: string } | null {
  for (let i = 0; i < batch.samples.length; i++) {
    const ts = batch.samples[i]!.ts;
    if (ts > now + LIMITS.maxFutureMs)
      return { path: `samples[${i}].ts`, message: `is ${Math.round((ts - now) / 1000)} s in the future (at most ${LIMITS.maxFutureMs / 1000} s allowed)` };
    if (ts < now - LIMITS.maxPastMs)
      return { path: `samples[${i}].ts`, message: `is older than the ${Math.round(LIMITS.maxPastMs / 3600000)} h the raw tier accepts` };
  }
  return null;
}

export const CollectResponse = z.object({
  /** Samples newly stored (a timestamp+series already stored is not stored again). */
  accepted: z.number().int(),
  /** Nothing in the batch was new (a replay). */
  duplicate: z.boolean(),
  batchId: z.string(),
  /**
   * Every sample of this host at or before this time (ms) is durably stored; null before the
   * first. A sender that keeps samples until they are durable forgets those covered. On this
   * path every acknowledged sample is durable already (docs/ingest.md).
   */
  durableThrough: z.number().int().nullable(),
});
export type CollectResponse = z.infer<typeof CollectResponse>;
