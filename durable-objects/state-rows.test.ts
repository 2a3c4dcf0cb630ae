// What the runtime bills for rewriting one state row (a TEXT primary key, as the objects' `meta`,
// `alert_state`, `alert_meta` and `anomaly_state` tables have): INSERT OR REPLACE deletes and
// inserts, so it counts the row and its key's index entry, an upsert of an existing key counts
// one. The objects save their state with the upsert (docs/performance.md "Unit cost").
import { env, runInDurableObject } from 'cloudflare:test';
import { expect, it } from 'vitest';

it('an upsert of an existing state row is one row written, INSERT OR REPLACE two', async () => {
  await runInDurableObject(env.HOSTS.getByName(`state-rows-${Date.now()}`), (_obj, state) => {
    const sql = state.storage.sql;
    sql.exec('CREATE TABLE probe_state (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
    sql.exec("INSERT INTO probe_state (key, value) VALUES ('state', 'a')");
    expect(sql.exec("INSERT OR REPLACE INTO probe_state (key, value) VALUES ('state', 'b')").rowsWritten).toBe(2);
    expect(sql.exec("INSERT INTO probe_state (key, value) VALUES ('state', 'c') ON CONFLICT (key) DO UPDATE SET value = excluded.value").rowsWritten).toBe(1);
    expect(sql.exec<{ value: string }>("SELECT value FROM probe_state WHERE key = 'state'").one().value).toBe('c');
    sql.exec('DROP TABLE probe_state');
  });
});
