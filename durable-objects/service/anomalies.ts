// A service object's anomaly state (docs/anomalies.md): the per-minute baseline (one SQLite row,
// rewritten once a minute), the latest z-scores (computed at most once a second, from the same
// window stats as the live push), the anomaly periods (one row each, kept 30 days) for history,
// and the in-memory timer that re-scores them while no traffic arrives (../core/silence-timer.ts;
// the storage alarm is only its backstop for an evicted object: backstopAt).
import type { AnomalyPeriod, AnomalySignal, AnomalySnapshot, AnomalyWindow, LiveAnomalies } from '../../protocol/anomalies.ts';
import type { SignalWindows, WindowStats } from '../../protocol/apm.ts';
import { emptyBaseline, minutesDue, recordMinute, scoreWindows, trackPeriods, type AnomalyOptions, type Baseline, type PeriodState } from '../core/anomaly.ts';
import { SilenceTimer } from '../core/silence-timer.ts';
import { SERVICE_FLUSH_GRACE_MS, SERVICE_FLUSH_SPREAD_MS } from './flush-plan.ts';

const SEC = 1000;
/** A minute is recorded this long after it ends (spans still in the SDKs' export queues). */
const GRACE_MS = 10_000;
/** Flags less than this apart make one period. */
export const PERIOD_GAP_MS = 30_000;
/** Closed periods stay in the live messages this long (the per-second charts' span). */
const LIVE_RECENT_MS = 15 * 60_000;
const KEEP_MS = 30 * 86_400_000;
const MAX_PERIODS = 5000;
/** Without traffic, the scores are refreshed this often (an in-memory timer) until the 15 m window is empty. */
export const ANOMALY_TICK_MS = 5_000;
/**
 * The storage alarm scores this long after the last request, then this often, for an object
 * evicted in a silence (its timer lost). A minute, the flush grace and the flush's spread: while
 * traffic flows, the minute's rollup flush (due at most that long after its data) always rings
 * first, and that alarm re-arms the timer too, so the anomalies add no alarm of their own.
 */
export const ANOMALY_BACKSTOP_MS = 60_000 + SERVICE_FLUSH_GRACE_MS + SERVICE_FLUSH_SPREAD_MS;
const IDLE_AFTER_MS = 15 * 60_000;

interface Stored extends Baseline {
  /** Earliest second (ms) of traffic seen before the first minute was recorded. */
  first: number | null;
}

/** What the timer needs from the object (./service.ts). */
export interface AnomalyTicks {
  /** Scores at `now` and pushes the periods that changed. */
  work: (now: number) => void;
  lastSeen: () => number | null;
  /** For the error log. */
  service: () => string | null;
}

export interface AnomalyInputs {
  windows: () => SignalWindows;
  /** The whole service's stats over the 60 s starting at `minuteStart`. */
  minute: (minuteStart: number) => WindowStats;
}

interface PeriodRow {
  id: number;
  signal: string;
  win: string;
  from_ms: number;
  to_ms: number;
  open: number;
  peak_z: number;
  [k: string]: SqlStorageValue;
}

const toPeriod = (p: PeriodState, open: boolean): AnomalyPeriod => ({ id: p.id!, signal: p.signal, window: p.window, from: p.from, to: p.to, open, peakZ: p.peakZ });

export class ServiceAnomalies {
  private base: Stored;
  private open: PeriodState[];
  private recent: AnomalyPeriod[] = [];
  private current: AnomalySnapshot | null = null;
  private evaluatedSec = -1;
  /** A period started, grew or ended since takeChanged() was last asked. */
  private changed = false;
  /** Re-scores without traffic while the object is in memory. */
  private readonly ticks: SilenceTimer;

  constructor(
    private readonly sql: SqlStorage,
    private readonly opts: AnomalyOptions,
    src: AnomalyTicks,
  ) {
    this.ticks = new SilenceTimer(
      (now) => {
        try {
          src.work(now);
        } catch (err) {
          // From a timer there is no caller to fail: logged, and the next tick tries again.
          console.error(JSON.stringify({ msg: 'service anomaly tick failed', service: src.service(), error: String(err) }));
        }
        return this.tickAt(now, src.lastSeen());
      },
      undefined,
      ANOMALY_TICK_MS,
    );
    sql.exec('CREATE TABLE IF NOT EXISTS anomaly_state (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
    sql.exec(`CREATE TABLE IF NOT EXISTS anomaly_periods (
      id INTEGER PRIMARY KEY,
      signal TEXT NOT NULL,
      win TEXT NOT NULL,
      from_ms INTEGER NOT NULL,
      to_ms INTEGER NOT NULL,
      open INTEGER NOT NULL,
      peak_z REAL NOT NULL
    )`);
    sql.exec('CREATE INDEX IF NOT EXISTS anomaly_periods_to ON anomaly_periods (to_ms)');
    const row = sql.exec<{ value: string }>("SELECT value FROM anomaly_state WHERE key = 'baseline'").toArray()[0];
    this.base = row ? (JSON.parse(row.value) as Stored) : { ...emptyBaseline(), first: null };
    // Periods open at the restart go on (or close at the next evaluation past the gap).
    this.open = sql
      .exec<PeriodRow>('SELECT * FROM anomaly_periods WHERE open = 1')
      .toArray()
      .map((r) => ({ id: r.id, signal: r.signal as AnomalySignal, window: r.win as AnomalyWindow, from: r.from_ms, to: r.to_ms, peakZ: r.peak_z }));
  }

  /** Traffic for second `sec` (ms) arrived: the baseline starts at the first minute with traffic. */
  seen(ms: number) {
    if (this.base.until === null && (this.base.first === null || ms < this.base.first)) this.base.first = ms;
  }

  /**
   * Records due minutes and scores the windows, at most once per second of `now`; 15 minutes
   * after the last request (`lastSeen`) there is nothing left to score: open periods close.
   */
  evaluate(now: number, input: AnomalyInputs, lastSeen: number | null): AnomalySnapshot | null {
    const sec = Math.floor(now / SEC);
    if (sec === this.evaluatedSec) return this.current;
    this.evaluatedSec = sec;
    if (this.base.first === null && this.base.until === null) return null; // no traffic yet
    if (lastSeen !== null && now - lastSeen >= IDLE_AFTER_MS) {
      if (this.open.length) this.closeAll(now);
      return this.current;
    }
    const due = minutesDue(this.base, this.base.first ?? now, now, GRACE_MS, this.opts);
    for (const m of due) recordMinute(this.base, m, input.minute(m), this.opts);
    const snap = scoreWindows(this.base, input.windows(), sec * SEC, this.opts);
    this.current = snap;
    const step = trackPeriods(this.open, snap, PERIOD_GAP_MS);
    this.open = step.open;
    for (const p of step.started) {
      const r = this.sql.exec<{ id: number }>('INSERT INTO anomaly_periods (signal, win, from_ms, to_ms, open, peak_z) VALUES (?, ?, ?, ?, 1, ?) RETURNING id', p.signal, p.window, p.from, p.to, p.peakZ).one();
      p.id = r.id;
    }
    for (const p of step.ended) {
      this.sql.exec('UPDATE anomaly_periods SET to_ms = ?, open = 0, peak_z = ? WHERE id = ?', p.to, p.peakZ, p.id!);
      this.recent.push(toPeriod(p, false));
    }
    this.recent = this.recent.filter((p) => p.to > now - LIVE_RECENT_MS);
    // Opened, closed or grown: pushed even without traffic (a drop in traffic is one).
    if (step.started.length || step.ended.length || step.extended.length) this.changed = true;
    if (due.length) this.persist(now);
    return snap;
  }

  /** Once a minute: the baseline row, open periods' progress, and the 30-day retention. */
  private persist(now: number) {
    this.sql.exec("INSERT INTO anomaly_state (key, value) VALUES ('baseline', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", JSON.stringify(this.base));
    for (const p of this.open) this.sql.exec('UPDATE anomaly_periods SET to_ms = ?, peak_z = ? WHERE id = ?', p.to, p.peakZ, p.id!);
    this.sql.exec('DELETE FROM anomaly_periods WHERE open = 0 AND (to_ms < ? OR id <= (SELECT MAX(id) FROM anomaly_periods) - ?)', now - KEEP_MS, MAX_PERIODS);
  }

  /** Closes every open period (the service went quiet: nothing left to score). */
  private closeAll(now: number) {
    for (const p of this.open) {
      this.sql.exec('UPDATE anomaly_periods SET to_ms = ?, open = 0, peak_z = ? WHERE id = ?', p.to, p.peakZ, p.id!);
      this.recent.push(toPeriod(p, false));
    }
    if (this.open.length) this.changed = true;
    this.open = [];
    this.recent = this.recent.filter((p) => p.to > now - LIVE_RECENT_MS);
  }

  /** When to score again without traffic (a drop shows; periods close), or null. */
  tickAt(now: number, lastSeen: number | null): number | null {
    if (lastSeen === null || (now - lastSeen >= IDLE_AFTER_MS && this.open.length === 0)) return null;
    return now + ANOMALY_TICK_MS;
  }

  /**
   * Scored at `now` (a batch, an alarm, a tick) or the object started: the timer scores again
   * ANOMALY_TICK_MS later while tickAt asks; none is left set when there is nothing to score.
   */
  rearm(now: number, lastSeen: number | null) {
    const at = this.tickAt(now, lastSeen);
    if (at === null) this.ticks.stop();
    else this.ticks.arm(now, at);
  }

  /**
   * The storage alarm's due for the anomalies: only a backstop for an evicted object (timers are
   * lost then), ANOMALY_BACKSTOP_MS after the last request, or from `now` once past that; null
   * when there is nothing to score.
   */
  backstopAt(now: number, lastSeen: number | null): number | null {
    if (lastSeen === null || this.tickAt(now, lastSeen) === null) return null;
    const at = lastSeen + ANOMALY_BACKSTOP_MS;
    return at > now ? at : now + ANOMALY_BACKSTOP_MS;
  }

  /** For tests: the timer's next run (null: none set) and how often it ran. */
  tickStats() {
    return { dueAt: this.ticks.dueAt(), armed: this.ticks.armed(), runs: this.ticks.count() };
  }

  takeChanged(): boolean {
    const c = this.changed;
    this.changed = false;
    return c;
  }

  latest(): AnomalySnapshot | null {
    return this.current;
  }

  /** For the live messages: the latest scores, the open periods and those closed lately. */
  live(): LiveAnomalies {
    return { current: this.current, periods: [...this.recent, ...this.open.map((p) => toPeriod(p, true))] };
  }

  /** Periods overlapping [from, to), oldest first; open ones with their progress so far. */
  periods(from: number, to: number): AnomalyPeriod[] {
    const openById = new Map(this.open.map((p) => [p.id!, p]));
    const rows = this.sql.exec<PeriodRow>('SELECT * FROM anomaly_periods WHERE to_ms >= ? AND from_ms < ? ORDER BY from_ms, id LIMIT 1000', from, to).toArray();
    const out = rows.map((r): AnomalyPeriod => {
      const o = openById.get(r.id);
      openById.delete(r.id);
      return o ? toPeriod(o, true) : { id: r.id, signal: r.signal as AnomalySignal, window: r.win as AnomalyWindow, from: r.from_ms, to: r.to_ms, open: r.open === 1, peakZ: r.peak_z };
    });
    // Open periods whose stored `to` lags behind their progress.
    for (const o of openById.values()) if (o.to >= from && o.from < to) out.push(toPeriod(o, true));
    return out.sort((a, b) => a.from - b.from || a.id - b.id);
  }
}
