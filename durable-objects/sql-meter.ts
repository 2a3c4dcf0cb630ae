// Counts the SQLite rows an object reads and writes as the runtime reports them
// (SqlStorageCursor.rowsRead / rowsWritten, what storage billing counts), for bench:cost and tests.
// Only switched on by the COST_COUNTERS var outside production: it reads each result eagerly,
// which is the same answer but holds a whole result in memory.

export interface SqlMeter {
  rowsRead: number;
  rowsWritten: number;
  statements: number;
  /** Rows written by cause: statement kind and table (`INSERT raw_h*`, `UPDATE alert_outbox`). */
  writtenBy: Record<string, number>;
}

export const newMeter = (): SqlMeter => ({ rowsRead: 0, rowsWritten: 0, statements: 0, writtenBy: {} });

/**
 * A statement's cause: its verb and the table it names, hour tables folded into one (`raw_h*`,
 * `batches_h*`, `metric_batches_h*`).
 * Only the statement text is looked at, never its bindings.
 */
export function statementCause(query: string): string {
  const q = query.trim().replace(/\s+/g, ' ');
  const m = /^(INSERT OR REPLACE INTO|INSERT OR IGNORE INTO|INSERT INTO|REPLACE INTO|UPDATE|DELETE FROM|CREATE TABLE IF NOT EXISTS|CREATE TABLE|CREATE INDEX IF NOT EXISTS|DROP TABLE IF EXISTS|DROP TABLE|SELECT)\b\s*(\w+)?/i.exec(q);
  if (!m) return q.split(' ')[0]!.toUpperCase();
  const verb = m[1]!.toUpperCase().replace(/ IF (NOT )?EXISTS$/, '').replace(/ INTO$| FROM$/, '');
  const table = (m[2] ?? '').replace(/^(raw|batches|metric_batches)_h\d+$/, '$1_h*');
  return `${verb} ${table}`.trim();
}

type Row = Record<string, SqlStorageValue>;

function cursorOf<T extends Row>(rows: T[], columnNames: string[], rowsRead: number, rowsWritten: number): SqlStorageCursor<T> {
  let i = 0;
  const cursor = {
    columnNames,
    rowsRead,
    rowsWritten,
    next: () => (i < rows.length ? { done: false as const, value: rows[i++]! } : { done: true as const, value: undefined }),
    toArray: () => rows.slice(i),
    one: () => {
      if (rows.length !== 1) throw new Error(`Expected exactly one result from SQL query, but got ${rows.length === 0 ? 'no' : 'multiple'} results.`);
      return rows[0]!;
    },
    raw: function* () {
      for (; i < rows.length; i++) yield columnNames.map((c) => rows[i]![c]!) as SqlStorageValue[];
    },
    [Symbol.iterator]() {
      return this;
    },
  };
  return cursor as unknown as SqlStorageCursor<T>;
}

/** The same SqlStorage, counting every statement's rows into `meter`. */
export function meteredSql(sql: SqlStorage, meter: SqlMeter): SqlStorage {
  return new Proxy(sql, {
    get(target, prop) {
      if (prop === 'exec')
        return <T extends Row>(query: string, ...bindings: unknown[]) => {
          const cur = target.exec<T>(query, ...bindings);
          const rows = cur.toArray();
          meter.rowsRead += cur.rowsRead;
          meter.rowsWritten += cur.rowsWritten;
          meter.statements++;
          if (cur.rowsWritten) {
            const cause = statementCause(query);
            meter.writtenBy[cause] = (meter.writtenBy[cause] ?? 0) + cur.rowsWritten;
          }
          return cursorOf(rows, cur.columnNames, cur.rowsRead, cur.rowsWritten);
        };
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}
