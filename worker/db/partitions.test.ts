// ensurePartitions when another process creates the same partition at the same moment (two
// objects' flushes both finding it missing): drizzle wraps the driver's "already exists" error,
// which must still count as created; any other error must still fail the call.
import type { SQL } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { ensurePartitions, PARTITIONED, type SqlExec } from './partitions.ts';

/** A database where no partition is listed and every CREATE fails with `cause`. */
function racingDb(cause: { code: string; message: string }): SqlExec & { creates: number } {
  const db = {
    creates: 0,
    async execute(query: SQL) {
      const text = JSON.stringify((query as unknown as { queryChunks: unknown[] }).queryChunks);
      if (!text.includes('CREATE TABLE')) return { rows: [] };
      db.creates++;
      throw Object.assign(new Error(`Failed query: ${text.slice(0, 80)}`), { cause: Object.assign(new Error(cause.message), { code: cause.code }) });
    },
  };
  return db;
}

describe('ensurePartitions', () => {
  it('takes a partition another process just created (wrapped 42P07) as created', async () => {
    const db = racingDb({ code: '42P07', message: 'relation "rollup_1m_p20261201" already exists' });
    await expect(ensurePartitions(db, Date.UTC(2026, 11, 1))).resolves.toEqual([]);
    expect(db.creates).toBeGreaterThan(Object.keys(PARTITIONED).length * 7);
  });

  it('still fails on any other error', async () => {
    await expect(ensurePartitions(racingDb({ code: '42501', message: 'permission denied for schema public' }), Date.UTC(2026, 11, 1))).rejects.toThrow(/Failed query/);
  });
});
