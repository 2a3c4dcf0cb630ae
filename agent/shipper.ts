// Moves samples to the server in order. Normal path: each tick's sample is sent at once as a
// batch (with retries). When sending fails, the batch goes to the spool and the shipper is
// "offline": each flush probes the server once with the oldest spooled batch, and new samples
// collect in memory, sealed into a spooled batch every `sealAfter` samples (so an outage costs a
// few replay requests, not one per sample). Once the server answers, the spool is replayed
// oldest first with the original batchIds, then live sending resumes.
import { randomBytes } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import type { CollectRequest, HostInfo, Sample } from '../protocol/index.ts';
import { LIMITS } from '../protocol/index.ts';
import type { Logger } from './log.ts';
import { silentLogger } from './log.ts';
import type { Spool } from './spool.ts';
import { encodeBatch, type SendOutcome, type Transport } from './transport.ts';
import type { Metrics } from './types.ts';
import { round } from './procfs.ts';

export interface ShipperOptions {
  host: HostInfo;
  transport: Transport;
  spool: Spool;
  /**
   * Batches the server acknowledged but did not yet report durable (its durableThrough is behind
   * their newest sample): kept on disk until a later answer on the same connection covers them,
   * sent again when the connection changes, and replayed from here after a restart.
   */
  unconfirmed?: Spool;
  log?: Logger;
  /** Retries per send while online (spec §3.1: at most 3). */
  retries?: number;
  /** While offline, spool the in-memory samples once this many have gathered (default 12 = 1 min at 5 s). */
  sealAfter?: number;
}

export function batchId(hostId: string, firstTs: number): string {
  return `${hostId.slice(0, 80)}-${firstTs}-${randomBytes(4).toString('hex')}`;
}

export class Shipper {
  private pending: Sample[] = [];
  /** The unconfirmed spool's entries: newest timestamp and the connection that acknowledged them. */
  private held = new Map<string, { maxTs: number; epoch: string | undefined }>();
  private online = true;
  private running: Promise<void> | null = null;
  private again = false;
  private readonly log: Logger;
  private readonly retries: number;
  private readonly sealAfter: number;
  /** Batches the server acknowledged, failed attempts, and the last send's duration, since start. */
  sent = 0;
  failures = 0;
  lastSendMs: number | undefined;
  /** Wall-clock time of the last acknowledged batch, and the last failure's error (health report). */
  lastOkAt: number | null = null;
  lastError: string | null = null;

  constructor(private readonly o: ShipperOptions) {
    this.log = o.log ?? silentLogger;
    this.retries = o.retries ?? 3;
    this.sealAfter = o.sealAfter ?? 12;
  }

  get isOnline(): boolean {
    return this.online;
  }

  get pendingSamples(): number {
    return this.pending.length;
  }

  enqueue(sample: Sample): void {
    this.pending.push(sample);
  }

  /** Self-metrics for the next sample (protocol names agent.spool.* and agent.send.*). */
  metrics(): Metrics {
    const m: Metrics = {
      'agent.spool.depth': this.o.spool.depth,
      'agent.spool.bytes': this.o.spool.bytes,
      'agent.spool.dropped': this.o.spool.dropped,
      'agent.send.success': this.sent,
      'agent.send.failures': this.failures,
    };
    if (this.lastSendMs !== undefined) m['agent.send.duration'] = round(this.lastSendMs, 1);
    return m;
  }

  /** Sends what can be sent now. Concurrent calls share one run, which loops if asked again meanwhile. */
  flush(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          await this.drain();
        } while (this.again && this.online);
      } finally {
        this.running = null;
      }
    })();
    return this.running;
  }

  /** Unconfirmed batches left by a previous run go back to the spool, to be sent again (oldest first). */
  async recover(): Promise<void> {
    const u = this.o.unconfirmed;
    if (!u) return;
    for (let e = u.peek(); e; e = u.peek()) {
      const body = await u.read(e);
      if (body) await this.o.spool.push(e.batchId, body);
      await u.remove(e);
    }
  }

  /** Batches acknowledged but not yet durable (health and tests). */
  get unconfirmedBatches(): number {
    return this.o.unconfirmed?.depth ?? 0;
  }

  /** Puts the samples still in memory into the spool, then waits for a send in progress. */
  async close(): Promise<void> {
    if (this.pending.length) await this.seal();
    if (this.running) await this.running;
  }

  private async drain(): Promise<void> {
    const spool = this.o.spool;
    for (let e = spool.peek(); e; e = spool.peek()) {
      const body = await spool.read(e);
      if (!body) continue;
      const r = await this.send(body, e.batchId, this.online ? this.retries : 0);
      if (r.kind === 'failed') {
        // Logged once per outage; each attempt is logged at DEBUG by the transport.
        if (this.online) this.log.warning('server unreachable, spooling until it answers', { spoolDepth: spool.depth, status: r.status, error: r.error });
        this.online = false;
        break;
      }
      await this.settle(r, e.batchId, body);
      await spool.remove(e);
      if (!this.online) this.log.info('server answers again, replaying the spool', { spoolDepth: spool.depth });
      this.online = true;
    }
    while (spool.depth === 0 && this.online && this.pending.length) {
      const batch = this.takeBatch();
      const body = encodeBatch(batch);
      const r = await this.send(body, batch.batchId, this.retries);
      if (r.kind === 'failed') {
        this.online = false;
        this.log.warning('server unreachable, spooling until it answers', { batchId: batch.batchId, status: r.status, error: r.error });
        await spool.push(batch.batchId, body);
      } else await this.settle(r, batch.batchId, body);
    }
    if (!this.online && this.pending.length >= this.sealAfter) await this.seal();
  }

  /**
   * After an acknowledgement: forget the unconfirmed batches this answer covers, send again those
   * acknowledged on an earlier connection (that instance may have lost what it had not written),
   * and keep this batch unconfirmed if the answer does not cover it yet.
   */
  private async settle(r: SendOutcome, batchId: string, body: Uint8Array): Promise<void> {
    const u = this.o.unconfirmed;
    if (r.kind !== 'ok' || !u || r.durableThrough === undefined) return; // a server that predates durableThrough: an answer means stored
    const d = r.durableThrough;
    for (const e of u.list()) {
      const h = this.held.get(e.batchId);
      if (!h) continue;
      if (h.epoch === r.epoch && d !== null && h.maxTs <= d) {
        this.held.delete(e.batchId);
        await u.remove(e);
      } else if (h.epoch !== r.epoch) {
        const again = await u.read(e);
        this.held.delete(e.batchId);
        await u.remove(e);
        if (again) await this.o.spool.push(e.batchId, again);
      }
    }
    const maxTs = r.received ?? newestTs(body);
    if (d !== null && maxTs <= d) return;
    await u.push(batchId, body);
    this.held.set(batchId, { maxTs, epoch: r.epoch });
  }

  private async seal(): Promise<void> {
    while (this.pending.length) {
      const batch = this.takeBatch();
      await this.o.spool.push(batch.batchId, encodeBatch(batch));
    }
  }

  /**
   * The oldest samples, within the wire's sample limit and about half its body limit (a sample's
   * size varies with cores, mounts and interfaces), one per timestamp (a clock step back could repeat one).
   */
  private takeBatch(): CollectRequest {
    let n = 0;
    let size = 0;
    while (n < this.pending.length && n < LIMITS.maxSamplesPerBatch) {
      size += JSON.stringify(this.pending[n]).length;
      if (n > 0 && size > LIMITS.maxBodyBytes / 2) break;
      n++;
    }
    const taken = this.pending.splice(0, n);
    const byTs = new Map<number, Sample>();
    for (const s of taken) byTs.set(s.ts, s);
    const samples = [...byTs.values()];
    return { host: this.o.host, batchId: batchId(this.o.host.id, samples[0]!.ts), samples };
  }

  private async send(body: Uint8Array, id: string, retries: number): Promise<SendOutcome> {
    const r = await this.o.transport(body, id, retries);
    this.failures += r.failedAttempts;
    this.lastSendMs = r.durationMs;
    if (r.kind === 'ok') {
      this.sent++;
      this.lastOkAt = Date.now();
      this.lastError = null;
      this.log.debug('batch sent', { batchId: id, status: r.status, attempts: r.attempts, ms: round(r.durationMs, 1) });
    } else {
      this.lastError = `${r.status ? `HTTP ${r.status}: ` : ''}${typeof r.error === 'string' ? r.error : JSON.stringify(r.error)}`.slice(0, 300);
      if (r.kind === 'rejected') this.log.error('server refused the batch; dropping it', { batchId: id, status: r.status, error: r.error });
    }
    return r;
  }
}

function newestTs(body: Uint8Array): number {
  const b = JSON.parse(gunzipSync(body).toString('utf8')) as CollectRequest;
  return Math.max(...b.samples.map((x) => x.ts));
}
