// A bounded on-disk queue of batches the server did not take. Each batch is one file holding the
// exact gzipped body that was (or would have been) sent, so a replay is byte-identical and keeps
// its batchId: the server can recognise a batch it already stored. Oldest files are dropped first
// when the size bound is reached. With no directory it keeps the same bounded queue in memory.
import { mkdir, readdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from './log.ts';
import { silentLogger } from './log.ts';

export interface SpoolEntry {
  seq: number;
  batchId: string;
  bytes: number;
  /** Set when the entry lives in memory (no directory, or the disk refused the write). */
  data?: Uint8Array;
}

const FILE = /^(\d{12})_([A-Za-z0-9._-]+)\.json\.gz$/;

export class Spool {
  private entries: SpoolEntry[] = [];
  private nextSeq = 1;
  private total = 0;
  /** Batches dropped since start because the spool was full or a file was unreadable. */
  dropped = 0;

  private constructor(
    readonly dir: string | null,
    readonly maxBytes: number,
    private readonly log: Logger,
  ) {}

  /** Opens (creating) the directory and picks up batches left by a previous run, oldest first. */
  static async open(dir: string | null, maxBytes = 64 * 1024 * 1024, log: Logger = silentLogger): Promise<Spool> {
    const s = new Spool(dir, maxBytes, log);
    if (!dir) return s;
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const names = (await readdir(dir)).sort();
    for (const name of names) {
      const m = FILE.exec(name);
      if (!m) {
        // A write interrupted before its rename.
        if (name.endsWith('.tmp')) await unlink(join(dir, name)).catch(() => {});
        continue;
      }
      const st = await stat(join(dir, name));
      s.entries.push({ seq: Number(m[1]), batchId: m[2]!, bytes: st.size });
      s.total += st.size;
      s.nextSeq = Math.max(s.nextSeq, Number(m[1]) + 1);
    }
    await s.trim(0);
    if (s.entries.length) log.info('spool has batches from a previous run', { dir, depth: s.depth, bytes: s.bytes });
    return s;
  }

  get depth(): number {
    return this.entries.length;
  }

  get bytes(): number {
    return this.total;
  }

  /** Every entry, oldest first (a copy: removing while iterating is safe). */
  list(): SpoolEntry[] {
    return [...this.entries];
  }

  peek(): SpoolEntry | undefined {
    return this.entries[0];
  }

  async push(batchId: string, body: Uint8Array): Promise<void> {
    if (body.byteLength > this.maxBytes) {
      this.dropped++;
      this.log.error('batch larger than the whole spool, dropped', { batchId, bytes: body.byteLength, maxBytes: this.maxBytes });
      return;
    }
    await this.trim(body.byteLength);
    const entry: SpoolEntry = { seq: this.nextSeq++, batchId, bytes: body.byteLength };
    if (this.dir) {
      const path = this.path(entry);
      try {
        // Write then rename, so a crash never leaves a half-written batch under a valid name.
        await writeFile(path + '.tmp', body, { mode: 0o600 });
        await rename(path + '.tmp', path);
      } catch (e) {
        this.log.error('cannot write spool file, keeping the batch in memory', { path, error: String(e) });
        entry.data = body;
      }
    } else {
      entry.data = body;
    }
    this.entries.push(entry);
    this.total += entry.bytes;
  }

  /** The body of an entry; null (and the entry dropped) when its file is gone or unreadable. */
  async read(entry: SpoolEntry): Promise<Uint8Array | null> {
    if (entry.data) return entry.data;
    try {
      return await readFile(this.path(entry));
    } catch (e) {
      this.log.error('cannot read spool file, dropping it', { path: this.path(entry), error: String(e) });
      this.dropped++;
      await this.remove(entry);
      return null;
    }
  }

  async remove(entry: SpoolEntry): Promise<void> {
    const i = this.entries.indexOf(entry);
    if (i < 0) return;
    this.entries.splice(i, 1);
    this.total -= entry.bytes;
    if (!entry.data && this.dir) await unlink(this.path(entry)).catch(() => {});
  }

  /** Drops the oldest batches until `incoming` more bytes fit. */
  private async trim(incoming: number): Promise<void> {
    while (this.entries.length && this.total + incoming > this.maxBytes) {
      const old = this.entries[0]!;
      this.dropped++;
      this.log.warning('spool full, dropping the oldest batch', { batchId: old.batchId, bytes: old.bytes });
      await this.remove(old);
    }
  }

  private path(e: SpoolEntry): string {
    return join(this.dir!, `${String(e.seq).padStart(12, '0')}_${e.batchId}.json.gz`);
  }
}
