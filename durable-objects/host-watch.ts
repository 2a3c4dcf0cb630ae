// The host-down check of the hosts whose agent stream is open, sharded across the whole fleet:
// objects `watch:0` .. `watch:<N-1>` (core/watch-period.ts `watchShardName`, a hash of the host
// object's name), so a shard's alarms are shared by the hosts of every organization in it, not
// paid per organization. A host object's own alarm would have to be re-armed once a `for` while
// samples flow (each setAlarm is billed as a row written, $1/M, plus the alarm's request,
// $0.15/M); here each host costs one RPC per its own check period ($0.15/M), no row. A host
// registers at each stream open (docs/alerting.md "Host down", docs/scaling.md). Each host is
// due once its own period (from its own tightest `for`, core/watch-period.ts): the alarm rings
// at the earliest due time and asks only the hosts due then, so one tenant's short `for` does not
// make the shard ask everyone at its cadence. Due times live in memory; after a restart every
// host is asked once. A host silent past the threshold arms its own alarm at its exact deadline.
// A host answering `false` (no stream open, no host-down rule, or another shard is its own) is
// dropped. A tick asks at most `pageSize` hosts per alarm invocation (the platform caps
// subrequests per invocation) and runs the rest in an alarm at once.
// Rows are written only when the set or a host's `for` changes (and the shard's name, once).
import { DurableObject } from 'cloudflare:workers';
import { costMetering, type CostCounters } from './cost-meter.ts';
import { settleLimited } from './core/settle-limited.ts';
import { checkWithinMs, DEFAULT_WATCH_OPTIONS, earlyMs, watchPeriod, type WatchOptions } from './core/watch-period.ts';

/** Checks in flight at once (each is one RPC to a host object). */
const CHECKS_IN_FLIGHT = 32;

interface Row extends Record<string, SqlStorageValue> {
  name: string;
  for_ms: number;
}

interface Watched {
  forMs: number;
  /** When it is next asked (memory only; 0 after a restart: ask it at the next tick). */
  due: number;
}

export class HostWatchObject extends DurableObject<Env> {
  /** The check period's bounds and the shard count (tests change them). */
  static options: WatchOptions = { ...DEFAULT_WATCH_OPTIONS };

  private sql: SqlStorage;
  /** bench:cost only (COST_COUNTERS=on outside production); null otherwise. */
  private cost: CostCounters | null;
  /** The rows, with each host's next due time. */
  private hosts = new Map<string, Watched>();
  /** This shard's name (`watch:<k>`), told by the first registration; null for a pre-shard object. */
  private shard: string | null;
  /** Hosts registered while a tick was asking them: a `false` from before must not drop them. */
  private registeredDuringTick: Set<string> | null = null;
  /** For tests: hosts asked by each alarm invocation of this instance, and checks per host. */
  private pages: number[] = [];
  private asked = new Map<string, number>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const metering = costMetering(env, ctx.storage.sql, ctx.id);
    this.cost = metering.counters;
    this.sql = metering.sql;
    this.sql.exec('CREATE TABLE IF NOT EXISTS watched (name TEXT PRIMARY KEY, for_ms INTEGER NOT NULL)');
    this.sql.exec('CREATE TABLE IF NOT EXISTS shard (id INTEGER PRIMARY KEY CHECK (id = 1), name TEXT NOT NULL)');
    for (const r of this.sql.exec<Row>('SELECT name, for_ms FROM watched').toArray()) this.hosts.set(r.name, { forMs: r.for_ms, due: 0 });
    this.shard = this.sql.exec<{ name: string }>('SELECT name FROM shard').toArray()[0]?.name ?? null;
  }

  private options(): WatchOptions {
    return (this.constructor as typeof HostWatchObject).options;
  }

  /**
   * A host object with a stream open: watch it. `name` is its object name (`<tenant>:<host>`),
   * `forMs` the tightest host-down `for` watching it, `shard` this object's name. A repeat with
   * the same `for` writes nothing.
   */
  async watch(name: string, forMs: number, shard?: string): Promise<void> {
    if (this.cost) this.cost.requests++;
    if (shard && this.shard !== shard) {
      this.sql.exec('INSERT INTO shard (id, name) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET name = excluded.name', shard);
      this.shard = shard;
    }
    this.sql.exec('INSERT INTO watched (name, for_ms) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET for_ms = excluded.for_ms WHERE for_ms != excluded.for_ms', name, forMs);
    this.registeredDuringTick?.add(name);
    const now = Date.now();
    const latest = now + watchPeriod(forMs, this.options());
    const armed = await this.ctx.storage.getAlarm();
    const known = this.hosts.get(name);
    // A new host joins the tick already armed when that comes within its period (asked early
    // once, then in step with it): hosts registering at different times share alarms.
    const due = known?.due ? Math.min(known.due, latest) : armed !== null && armed <= latest ? armed : latest;
    this.hosts.set(name, { forMs, due });
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
    const period = (w: Watched) => watchPeriod(w.forMs, o);
    const due = [...this.hosts].filter(([, w]) => w.due <= now + earlyMs(period(w), o)).sort((a, b) => a[1].due - b[1].due || (a[0] < b[0] ? -1 : 1));
    const page = due.slice(0, o.pageSize);
    // A host asked now is due again one of its own periods on.
    for (const [, w] of page) w.due = now + period(w);
    this.registeredDuringTick = new Set();
    const answers = await settleLimited(page, CHECKS_IN_FLIGHT, ([n, w]) => this.env.HOSTS.getByName(n).watchdogCheck(checkWithinMs(period(w), o), this.shard ?? undefined));
    const again = this.registeredDuringTick;
    this.registeredDuringTick = null;
    if (this.pages.push(page.length) > 100) this.pages.shift();
    answers.forEach((a, i) => {
      const name = page[i]![0];
      this.asked.set(name, (this.asked.get(name) ?? 0) + 1);
      if (a.status === 'rejected') console.error(JSON.stringify({ msg: 'host-down check failed; asking again next tick', host: name, error: String(a.reason) }));
      else if (!a.value && !again.has(name)) {
        this.sql.exec('DELETE FROM watched WHERE name = ?', name);
        this.hosts.delete(name);
        this.asked.delete(name);
      }
    });
    // More due hosts than one invocation may call: the rest in an alarm of its own, at once.
    if (due.length > page.length) return this.arm(Date.now());
    let next = Infinity;
    for (const w of this.hosts.values()) next = Math.min(next, w.due);
    if (next !== Infinity) await this.arm(Math.max(Date.now(), next));
  }

  /** For tests: the hosts watched (all tenants of the shard), the alarm, hosts asked per invocation and checks per host. */
  async debug(): Promise<{ names: string[]; alarmAt: number | null; pages: number[]; asked: Record<string, number> }> {
    const names = this.sql.exec<Row>('SELECT name, for_ms FROM watched ORDER BY name').toArray().map((r) => r.name);
    return { names, alarmAt: await this.ctx.storage.getAlarm(), pages: [...this.pages], asked: Object.fromEntries(this.asked) };
  }

  /** bench:cost: what this object counted (null when off). */
  costCounters() {
    if (!this.cost) return null;
    return { ...this.cost, databaseSize: this.ctx.storage.sql.databaseSize };
  }
}
