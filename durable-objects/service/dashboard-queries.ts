// Read-only answers of a service object for the dashboard (issue #13): an SLO's good/total per
// time bucket from its stored minutes (GET /api/v1/slos/{id}/history). Nothing here changes
// state. (A draft rule's preview goes through the engine's own evaluators: ServiceAlerts.preview.)

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
