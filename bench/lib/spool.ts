// A simulated host's spool on the stream path, as the agent keeps one (agent/stream.ts): an acked
// frame's samples are held until the object's `durableThrough` passes them (the stream lets a
// window wait in memory until it ends), and what is still held when the sender stops is handed
// over by POST, which stores before it answers. Pure bookkeeping, so it is tested without a stack.

export class Spool<T> {
  private readonly held = new Map<string, Map<number, T>>();

  /** A sample the object acked: kept until `durableThrough` reaches its timestamp. */
  hold(host: string, ts: number, sample: T, durableThrough: number | null): void {
    let m = this.held.get(host);
    if (!m) this.held.set(host, (m = new Map()));
    m.set(ts, sample);
    this.confirm(host, durableThrough);
  }

  /** Forgets the host's samples at or before `durableThrough` (null: nothing is durable yet). */
  confirm(host: string, durableThrough: number | null): void {
    const m = this.held.get(host);
    if (!m || durableThrough === null) return;
    for (const ts of m.keys()) if (ts <= durableThrough) m.delete(ts);
  }

  /** The host's samples not yet durable, oldest first, in chunks of at most `max`. */
  rest(host: string, max: number): T[][] {
    const m = this.held.get(host);
    if (!m) return [];
    const all = [...m.entries()].sort((a, b) => a[0] - b[0]).map(([, s]) => s);
    const out: T[][] = [];
    for (let i = 0; i < all.length; i += max) out.push(all.slice(i, i + max));
    return out;
  }

  /** Samples held over every host. */
  size(): number {
    let n = 0;
    for (const m of this.held.values()) n += m.size;
    return n;
  }
}
