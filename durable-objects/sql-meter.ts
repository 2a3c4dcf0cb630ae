// Counts the SQLite rows an object reads and writes as the runtime reports them
// (SqlStorageCursor.rowsRead / rowsWritten, what storage billing counts), for bench:cost and tests.
// Only switched on by the COST_COUNTERS var outside production: it reads each result eagerly,
// which is the same answer but holds a whole result in memory.

export interface SqlMeter {
  rowsRead: number;
  rowsWritten: number;
  statements: number;
}

export const newMeter = (): SqlMeter => ({ rowsRead: 0, rowsWritten: 0, statements: 0 });

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
          return cursorOf(rows, cur.columnNames, cur.rowsRead, cur.rowsWritten);
        };
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}
