// Shapes of the query API's answers, shared by the worker, the objects and the site.
import { z } from 'zod';

export const Tier = z.enum(['raw', '1m', '5m']);
export type Tier = z.infer<typeof Tier>;

export const TIERS: Record<Tier, { resolutionMs: number; retentionMs: number }> = {
  raw: { resolutionMs: 5_000, retentionMs: 24 * 3600_000 },
  '1m': { resolutionMs: 60_000, retentionMs: 7 * 24 * 3600_000 },
  '5m': { resolutionMs: 300_000, retentionMs: 30 * 24 * 3600_000 },
};

export const CurrentValue = z.object({
  metric: z.string(),
  labels: z.record(z.string(), z.string()),
  value: z.number(),
  ts: z.number(),
});
export type CurrentValue = z.infer<typeof CurrentValue>;

export const HostCurrent = z.object({
  host: z.string(),
  name: z.string().nullable(),
  lastSeen: z.number().nullable(),
  values: z.array(CurrentValue),
});
export type HostCurrent = z.infer<typeof HostCurrent>;

export const Bucket = z.object({ ts: z.number(), min: z.number(), avg: z.number(), max: z.number() });
export type Bucket = z.infer<typeof Bucket>;

export const HistorySeries = z.object({
  labels: z.record(z.string(), z.string()),
  points: z.array(Bucket),
});
export type HistorySeries = z.infer<typeof HistorySeries>;

export const HistoryResponse = z.object({
  host: z.string(),
  metric: z.string(),
  from: z.number(),
  to: z.number(),
  tier: Tier,
  stepMs: z.number(),
  series: z.array(HistorySeries),
});
export type HistoryResponse = z.infer<typeof HistoryResponse>;

export const HostStatus = z.enum(['ok', 'warning', 'critical', 'down']);
export type HostStatus = z.infer<typeof HostStatus>;

export const HostSummary = z.object({
  id: z.string(),
  name: z.string(),
  os: z.string(),
  agentVersion: z.string(),
  firstSeen: z.number(),
  lastSeen: z.number(),
  /** From the host's firing alerts (durable-objects/core/status.ts, docs/alerting.md). */
  status: HostStatus,
});
export type HostSummary = z.infer<typeof HostSummary>;

export const DEFAULT_POINTS = 1000;
export const MAX_POINTS = 5000;

/**
 * Picks the finest tier whose retention covers the start of the range, and a bucket width that
 * is a multiple of the tier's resolution giving at most `points` buckets.
 */
export function planHistory(from: number, to: number, now: number, points: number): { tier: Tier; stepMs: number } {
  const tier: Tier = from >= now - TIERS.raw.retentionMs ? 'raw' : from >= now - TIERS['1m'].retentionMs ? '1m' : '5m';
  const res = TIERS[tier].resolutionMs;
  // Buckets are epoch-aligned, so the first may start before `from`: size them for points - 1
  // spans to stay within `points` buckets.
  const stepMs = Math.max(1, Math.ceil((to - from) / Math.max(1, points - 1) / res)) * res;
  return { tier, stepMs };
}
