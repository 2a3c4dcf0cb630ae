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

export const HostInfo = z.strictObject({
  id: idString,
  name: z.string().min(1).max(255),
  os: z.string().min(1).max(64),
  agentVersion: z.string().min(1).max(64),
});
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

export const Sample = z
  .strictObject({
    ts: z.number().int('must be an integer (milliseconds since the epoch)').positive(),
    metrics: z.record(z.string(), MetricValue),
  })
  .superRefine((s, ctx) => {
    let series = 0;
    for (const [name, value] of Object.entries(s.metrics)) {
      const path = ['metrics', name];
      const def = METRICS.get(name);
      const custom = !def && CUSTOM_NAME.test(name);
      if (!def && !custom) {
        ctx.addIssue({ code: 'custom', path, message: `unknown metric "${name}"` });
        continue;
      }
      if (typeof value === 'number') {
        series++;
        if (def?.label) ctx.addIssue({ code: 'custom', path, message: `must be a list of values labelled by "${def.label}"` });
        continue;
      }
      series += value.length;
      if (def && !def.label) {
        ctx.addIssue({ code: 'custom', path, message: 'must be a number' });
        continue;
      }
      const seen = new Set<string>();
      value.forEach((v, i) => {
        if (def?.label) {
          const keys = Object.keys(v.labels);
          if (keys.length !== 1 || keys[0] !== def.label)
            ctx.addIssue({ code: 'custom', path: [...path, i, 'labels'], message: `must be exactly {"${def.label}": "..."}` });
        }
        const k = JSON.stringify(Object.entries(v.labels).sort());
        if (seen.has(k)) ctx.addIssue({ code: 'custom', path: [...path, i, 'labels'], message: 'duplicate labels' });
        seen.add(k);
      });
    }
    if (series > LIMITS.maxSeriesPerSample)
      ctx.addIssue({ code: 'custom', path: ['metrics'], message: `at most ${LIMITS.maxSeriesPerSample} series per sample` });
  });
export type Sample = z.infer<typeof Sample>;

export const CollectRequest = z
  .strictObject({
    host: HostInfo,
    batchId: idString,
    samples: z.array(Sample).min(1).max(LIMITS.maxSamplesPerBatch),
  })
  .superRefine((b, ctx) => {
    const seen = new Set<number>();
    b.samples.forEach((s, i) => {
      if (seen.has(s.ts)) ctx.addIssue({ code: 'custom', path: ['samples', i, 'ts'], message: 'duplicate timestamp in batch' });
      seen.add(s.ts);
    });
  });
export type CollectRequest = z.infer<typeof CollectRequest>;

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
  accepted: z.number().int(),
  duplicate: z.boolean(),
  batchId: z.string(),
});
export type CollectResponse = z.infer<typeof CollectResponse>;
