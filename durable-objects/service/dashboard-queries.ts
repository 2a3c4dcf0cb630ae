// Read-only answers of a service object for the dashboard (issue #13): an SLO's good/total per
// time bucket from its stored minutes (GET /api/v1/slos/{id}/history), and what a draft rule
// would observe right now, through the same evaluators the engine runs on each batch (POST
// /api/v1/alerts/rules/preview). Nothing here changes state.
import type { Rule } from '../core/rules.ts';
import type { SignalWindow } from '../core/signals.ts';
import { EVALUATORS, type EvalContext, type Observation } from './evaluators.ts';
import type { ServiceSlos } from './slos.ts';

export interface SloBucket {
  /** Bucket start, epoch ms. */
  ts: number;
  good: number;
  total: number;
}

/** Sums of the SLO's stored minutes in [from, to), per `stepMs` bucket (empty buckets left out). */
export function sloBuckets(sql: SqlStorage, id: string, from: number, to: number, stepMs: number): SloBucket[] {
  return sql
    .exec<{ ts: number; good: number; total: number }>(
      // Bound numbers may arrive as REAL, so no `/` (it would not truncate); `%` works on integers.
      'SELECT minute - minute % ? AS ts, sum(good) AS good, sum(total) AS total FROM slo_minutes WHERE slo_id = ? AND minute >= ? AND minute < ? GROUP BY 1 ORDER BY 1',
      stepMs,
      id,
      from,
      to,
    )
    .toArray();
}

/** The observations a rule makes now: series labels and the value the comparator would see. */
export function previewObservations(rule: Rule, service: string, window: SignalWindow, slos: ServiceSlos, now: number): Observation[] {
  const nowSec = Math.floor(now / 1000);
  const ctx: EvalContext = {
    service,
    now,
    stats: (windowSec, route) => window.stats(nowSec, windowSec, route),
    routes: () => window.routes(),
    slo: (id) => slos.slo(id),
    sloCounts: (id, windowMs) => slos.sum(id, windowMs, now),
  };
  return EVALUATORS[rule.kind ?? 'threshold'](rule, ctx);
}
