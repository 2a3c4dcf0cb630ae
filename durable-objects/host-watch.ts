// One per organization (name: the tenant id): the host-down check of the hosts whose agent
// stream is open. A host object's own alarm would have to be re-armed once a `for` while samples
// flow, and each setAlarm is billed as a row written ($1/M) plus the alarm's request ($0.15/M);
// here one alarm per check period serves every streaming host of the organization, and each
// host costs one RPC per period ($0.15/M, a billed request), no row. A host object registers at
// each stream open (docs/alerting.md "Host down", docs/scaling.md); each tick asks every
// registered host to check itself and says when it will ask again, so a host silent past the
// threshold arms its own alarm at its exact deadline (core/watch-period.ts). A host answering
// `false` (no stream open any more, or no host-down rule watching it) is dropped: its own alarm
// holds the exact deadline again. A tick asks at most `pageSize` hosts per alarm invocation (the
// platform caps subrequests per invocation) and runs the next page in an alarm at once.
// Rows are written only when the set, a host's period or a multi-page tick's cursor changes.
import { DurableObject } from 'cloudflare:workers';
import { costMetering, type CostCounters } from './cost-meter.ts';
import { settleLimited } from './core/settle-limited.ts';
import { checkWithinMs, DEFAULT_WATCH_OPTIONS, watchPeriod, type WatchOptions } from './core/watch-period.ts';

/** Checks in flight at once (each is one RPC to a host object). */
const CHECKS_IN_FLIGHT = 32;

interface Row extends Record<string, SqlStorageValue> {
  name: string;
  for_ms: number;
}

export class HostWatchObject extends DurableObject<Env> {
  /** The check period's bounds (tests shorten them). */
  static options: WatchOptions = { ...DEFAULT_WATCH_OPTIONS };

  private sql: SqlStorage;
  /** bench:cost only (COST_COUNTERS=on outside production); null otherwise. */
  private cost: CostCounters | null;
  /** Hosts registered while a tick was asking them: a `false` from before must not drop them. */
  private registeredDuringTick: Set<string> | null = null;
  /** For tests: hosts asked by each alarm invocation of this instance. */
  private pages: number[] = [];

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const metering = costMetering(env, ctx.storage.sql, ctx.id);
    this.cost = metering.counters;
    this.sql = metering.sql;
    this.sql.exec('CREATE TABLE IF NOT EXISTS watched (name TEXT PRIMARY KEY, for_ms INTEGER NOT NULL)');
    // A tick of more than one page: when it started and the last host asked (one row, kept only mid-tick).
    this.sql.exec('CREATE TABLE IF NOT EXISTS tick (id INTEGER PRIMARY KEY CHECK (id = 1), started INTEGER NOT NULL, after TEXT NOT NULL)');
  }

  private options(): WatchOptions {
    return (this.constructor as typeof HostWatchObject).options;
  }

  private period(): number | null {
    const row = this.sql.exec<{ m: number | null }>('SELECT min(for_ms) AS m FROM watched').toArray()[0];
    return row?.m == null ? null : watchPeriod(row.m, this.options());
  }

  /**
   * A host object with a stream open: watch it. `name` is its object name (`<tenant>:<host>`),
   * `forMs` the tightest host-down `for` watching it. A repeat with the same `for` writes nothing.
   */
  async watch(name: string, forMs: number): Promise<void> {
    if (this.cost) this.cost.requests++;
    this.sql.exec('INSERT INTO watched (name, for_ms) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET for_ms = excluded.for_ms WHERE for_ms != excluded.for_ms', name, forMs);
    this.registeredDuringTick?.add(name);
    const due = Date.now() + (this.period() ?? this.options().maxPeriodMs);
    const armed = await this.ctx.storage.getAlarm();
    if (armed === null || armed > due) await this.arm(due);
  }

  private async arm(at: number) {
    if (this.cost) this.cost.setAlarms++;
    await this.ctx.storage.setAlarm(at);
  }

  override async alarm() {
    if (this.cost) this.cost.alarms++;
    const now = Date.now();
    const o = this.options();
    const cursor = this.sql.exec<{ started: number; after: string }>('SELECT started, after FROM tick').toArray()[0];
    const started = cursor?.started ?? now;
    const rows = this.sql.exec<Row>('SELECT name, for_ms FROM watched WHERE name > ? ORDER BY name LIMIT ?', cursor?.after ?? '', o.pageSize + 1).toArray();
    const names = rows.slice(0, o.pageSize).map((r) => r.name);
    const period = this.period();
    // A host checked now is asked again about one period on (its page runs at the same offset into each tick).
    const within = checkWithinMs(period ?? o.maxPeriodMs, o);
    this.registeredDuringTick = new Set();
    const answers = await settleLimited(names, CHECKS_IN_FLIGHT, (n) => this.env.HOSTS.getByName(n).watchdogCheck(within));
    const again = this.registeredDuringTick;
    this.registeredDuringTick = null;
    if (this.pages.push(names.length) > 100) this.pages.shift();
    answers.forEach((a, i) => {
      const name = names[i]!;
      if (a.status === 'rejected') console.error(JSON.stringify({ msg: 'host-down check failed; asking again next tick', host: name, error: String(a.reason) }));
      else if (!a.value && !again.has(name)) this.sql.exec('DELETE FROM watched WHERE name = ?', name);
    });
    if (rows.length > o.pageSize) {
      // More hosts than one invocation may call: the next page in an alarm of its own, at once.
      this.sql.exec('INSERT INTO tick (id, started, after) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET after = excluded.after', started, names.at(-1)!);
      await this.arm(Date.now());
      return;
    }
    if (cursor) this.sql.exec('DELETE FROM tick');
    const next = this.period();
    if (next !== null) await this.arm(Math.max(Date.now(), started + next));
  }

  /** For tests: the hosts watched and the alarm. */
  async debug(): Promise<{ names: string[]; alarmAt: number | null; pages: number[] }> {
    const names = this.sql.exec<Row>('SELECT name, for_ms FROM watched ORDER BY name').toArray().map((r) => r.name);
    return { names, alarmAt: await this.ctx.storage.getAlarm(), pages: [...this.pages] };
  }

  /** bench:cost: what this object counted (null when off). */
  costCounters() {
    if (!this.cost) return null;
    return { ...this.cost, databaseSize: this.ctx.storage.sql.databaseSize };
  }
}
