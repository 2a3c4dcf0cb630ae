// A host object's side of the host-down watchdog (./host-watch.ts): while an agent's stream is
// open, a silent stream (a host that lost power sends no FIN) sends nothing to check at, so the
// host registers with its watchdog shard, which asks it to check once per its period.
import type { HostAlerts } from './alerts.ts';
import { needsOwnAlarm, watchShardName } from './core/watch-period.ts';
import { HostWatchObject } from './host-watch.ts';
import type { IngestStreams } from './ingest-stream.ts';
import { hostObjectName } from '../worker/types.ts';

/** The object's parts the watch reads, asked each time (tests swap the env). */
export interface WatchedHost {
  env(): Env;
  identity(): { tenantId: string | null; hostId: string | null };
  alerts(): HostAlerts;
  streams(): IngestStreams;
  /** Sets the object's alarm to the earliest of its next flush and `due`. */
  scheduleAlarm(due: number | null): Promise<void>;
}

export class HostWatchLink {
  /** The shard registered with since a stream last opened (memory only). */
  private watchedBy: string | null = null;

  constructor(private readonly host: WatchedHost) {}

  /** This host's watchdog shard (core/watch-period.ts): changes only when the shard count does. */
  shard(): string | null {
    const { tenantId, hostId } = this.host.identity();
    return tenantId && hostId ? watchShardName(hostObjectName(tenantId, hostId), HostWatchObject.options.shards) : null;
  }

  /**
   * Registers this host with its watchdog shard, which runs the host-down check once this host's
   * period while a stream is open: a stream open but silent is caught at `for`. Once per stream
   * spell of this instance and shard; nothing to do without a host-down rule watching this host.
   */
  register() {
    const forMs = this.host.alerts().downForMs();
    const { tenantId, hostId } = this.host.identity();
    const shard = this.shard();
    if (forMs === null || !tenantId || !hostId || !shard || this.host.streams().count() === 0) return;
    this.watchedBy = shard;
    this.host
      .env()
      .HOST_WATCH.getByName(shard)
      .watch(hostObjectName(tenantId, hostId), forMs, shard)
      .catch((err: unknown) => {
        if (this.watchedBy === shard) this.watchedBy = null; // the next frame tries again
        console.error(JSON.stringify({ msg: 'host-down watch registration failed', host: hostId, error: String(err) }));
      });
  }

  /** After a stream's frame: registers when not yet registered, or when the shard count changed. */
  afterFrame() {
    if (this.watchedBy !== this.shard()) this.register();
  }

  /** No stream is open any more: the next one registers again. */
  reset() {
    this.watchedBy = null;
  }

  /**
   * A watchdog shard's tick: the host-down check alone. Answers whether that shard should go on
   * watching (a stream is open, a host-down rule watches this host, and `shard` is this host's
   * shard; a shard of an older shard count, or a pre-shard watchdog passing none, gets `false`
   * and this host registers with its own). When no stream is open the exact deadline is armed
   * already. `withinMs`: the next check comes within this long; a deadline before then gets
   * this host's own alarm, so a silent stream fires at exactly `for` (one setAlarm per silence).
   */
  async check(now: number, withinMs: number, shard: string | undefined): Promise<boolean> {
    const alerts = this.host.alerts();
    // No stream: its close armed the exact deadline already (HostObject.streamsChanged).
    if (this.host.streams().count() === 0 || alerts.downForMs() === null) {
      this.watchedBy = null;
      return false;
    }
    const own = this.shard();
    if (shard !== own) {
      if (this.watchedBy !== own) this.register();
      return false;
    }
    this.watchedBy = own;
    if (alerts.checkDown(now)) await this.host.scheduleAlarm(alerts.nextDue(now)); // the notice's retries
    else {
      const deadline = alerts.downDeadline();
      if (needsOwnAlarm(deadline, now, withinMs)) await this.host.scheduleAlarm(deadline);
    }
    return true;
  }
}
