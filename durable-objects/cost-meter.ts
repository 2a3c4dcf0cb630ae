// What an object would be billed for, counted as the runtime reports it (bench:cost): requests
// it served, alarms, setAlarm calls, and SQLite rows read and written (sql-meter.ts). On only
// when the COST_COUNTERS var is "on" outside production; read through the dev-only route
// worker/routes/dev/cost.ts.
import { meteredSql, newMeter, type SqlMeter } from './sql-meter.ts';

export interface CostCounters extends SqlMeter {
  /** RPC calls and fetches served (each a billed request). */
  requests: number;
  /** Incoming WebSocket messages (billed 20 to a request). */
  wsMessages: number;
  alarms: number;
  setAlarms: number;
}

/**
 * Per object id, in the isolate's memory rather than the object's: an idle object is evicted
 * (and restarted on its next request) while the bench runs, and its counts must go on.
 */
const byObject = new Map<string, CostCounters>();

export function costMetering(env: { COST_COUNTERS?: string; ENVIRONMENT?: string }, sql: SqlStorage, id: DurableObjectId): { sql: SqlStorage; counters: CostCounters | null } {
  if (String(env.COST_COUNTERS) !== 'on' || String(env.ENVIRONMENT) === 'production') return { sql, counters: null };
  let counters = byObject.get(id.toString());
  if (!counters) byObject.set(id.toString(), (counters = { ...newMeter(), requests: 0, wsMessages: 0, alarms: 0, setAlarms: 0 }));
  return { sql: meteredSql(sql, counters), counters };
}
