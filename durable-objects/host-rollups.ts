// A host object's rollups in Postgres (1 m / 5 m): which samples wait to be flushed, when the
// flush is due (every 5 minutes, each host at its own offset) and the flush itself, recomputed
// from the raw tier (./raw-history.ts). The object owns the state; this reads and updates it.
import type { HostInfo } from '../protocol/ingest.ts';
import { withDb } from '../worker/db/client.ts';
import { floorTo } from './core/aggregate.ts';
import { earliestUnflushed, markDirty, pendingAfter } from './core/flush-marks.ts';
import { planRawFlush } from './raw-history.ts';
import type { RawStore } from './raw-store.ts';
import { writeFlush } from './rollup-writer.ts';

const MINUTE = 60_000;
/** Wait this long after a minute ends before flushing it, for samples still in flight. */
export const FLUSH_GRACE_MS = 10_000;
/**
 * Rollups go to Postgres every 5 minutes per host (five 1 m buckets and one 5 m bucket per
 * statement), not every minute: measured, a fleet's per-minute flushes were the largest load on
 * the stack (docs/performance.md). History reads merge the object's unflushed tail, so charts
 * never lag (worker/routes/metrics/history.ts).
 */
export const FLUSH_PERIOD_MS = 5 * MINUTE;
/** Plus a per-host offset, so a fleet's objects do not all hit Postgres in the same second. */
const FLUSH_SPREAD_MS = 120_000;

export function spread(name: string): number {
  let h = 2166136261;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619);
  return (h >>> 0) % FLUSH_SPREAD_MS;
}
/**
 * While an agent's stream is open and a flush alarm is pending, the host-down check waits for
 * that alarm instead of its own (HostAlerts.downSlack): at most one flush period plus its grace
 * and spread after the latest sample, so no extra alarm is armed while samples flow. A closed
 * stream re-arms the exact deadline at once; a stream open but silent (a half-open connection)
 * is caught at the pending flush alarm, then at the exact deadline (docs/alerting.md "Host down").
 */
export const STREAM_DOWN_SLACK_MS = FLUSH_PERIOD_MS + FLUSH_GRACE_MS + FLUSH_SPREAD_MS;
/** At most this much raw time per flush, so catching up after an outage stays bounded. */
const MAX_FLUSH_SPAN = 60 * MINUTE;

export interface HostState {
  tenantId: string | null;
  hostId: string | null;
  info: HostInfo | null;
  /** Rollups are written for every minute before this. */
  flushedUntil: number | null;
  /** Earliest late sample that arrived after its minute was flushed. */
  dirtyFrom: number | null;
  /** The host row in Postgres matches `info`. */
  registered: boolean;
}

/** The object's parts a flush reads, asked each time (tests swap the env and edit the state). */
export interface RollupHost {
  env(): Env;
  state(): HostState;
  saveState(): void;
  /** The latest sample's time: the host row's last_seen. */
  lastSeen(): number | null;
}

export class HostRollups {
  /** Earliest sample not yet flushed (memory only; rebuilt from the raw tier at start). */
  private pendingFrom: number | null;

  constructor(
    private readonly raw: RawStore,
    private readonly host: RollupHost,
  ) {
    this.pendingFrom = raw.nextTs(host.state().flushedUntil ?? 0);
  }

  /** A new sample: it waits for the flush, or (older than the flushed minutes) makes its minute dirty; true when the state changed. */
  add(ts: number): boolean {
    const st = this.host.state();
    this.pendingFrom = pendingAfter(this.pendingFrom, st.flushedUntil, ts);
    return markDirty(st, ts);
  }

  /** When the next rollup flush is due, or null when nothing waits to be flushed. */
  dueAt(): number | null {
    const st = this.host.state();
    const base = earliestUnflushed(st.dirtyFrom, this.pendingFrom);
    if (base === null) return null;
    return floorTo(base, FLUSH_PERIOD_MS) + FLUSH_PERIOD_MS + FLUSH_GRACE_MS + spread(`${st.tenantId}:${st.hostId}`);
  }

  /**
   * Writes rollups for complete minutes not yet flushed (and any made dirty by late samples),
   * recomputed from the raw tier. Returns true when more remains than one flush may carry.
   */
  async flush(now: number): Promise<boolean> {
    const st = this.host.state();
    if (!st.tenantId || !st.hostId) return false;
    const end = floorTo(now - FLUSH_GRACE_MS, MINUTE);
    const plan = planRawFlush(this.raw, st, end, MAX_FLUSH_SPAN);
    if (!plan) return false;
    const { stop, rows1m, rows5m } = plan;
    const dirtyBefore = st.dirtyFrom;
    const { tenantId, hostId, info } = st;
    await withDb(this.host.env(), (db) =>
      writeFlush(db, { tenantId, hostId, info, lastSeen: this.host.lastSeen(), rows1m, rows5m }, now),
    );
    st.flushedUntil = Math.max(st.flushedUntil ?? 0, stop);
    this.pendingFrom = this.raw.nextTs(st.flushedUntil);
    if (st.dirtyFrom === dirtyBefore) st.dirtyFrom = null;
    if (info === st.info) st.registered = true;
    this.host.saveState();
    return stop < end;
  }
}
