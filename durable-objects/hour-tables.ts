// Tables named `<prefix><n>` for an hour index n (raw samples, span batches, metrics batch ids):
// retention drops whole tables, which SQLite storage does not bill row by row (docs/scaling.md).
// Names are built only from checked integers, never from request text.

export interface HourTables {
  /** The table of hour index n (throws for anything but a non-negative safe integer). */
  name(n: number): string;
  /** The hour index of one of these tables' names, or null for any other name. */
  indexOf(name: string): number | null;
  /** The hour indexes whose tables exist, ascending. */
  list(sql: SqlStorage): number[];
}

export function hourTables(prefix: string, what: string): HourTables {
  if (!/^[a-z_]+$/.test(prefix)) throw new Error(`bad hour table prefix ${prefix}`);
  const name = (n: number) => {
    if (!Number.isSafeInteger(n) || n < 0) throw new Error(`bad ${what} table index ${n}`);
    return `${prefix}${n}`;
  };
  const indexOf = (table: string) => {
    if (!table.startsWith(prefix)) return null;
    const n = Number(table.slice(prefix.length));
    return Number.isSafeInteger(n) && n >= 0 && name(n) === table ? n : null;
  };
  return {
    name,
    indexOf,
    list: (sql) =>
      sql
        .exec<{ name: string }>(`SELECT name FROM sqlite_master WHERE type = 'table' AND name GLOB '${prefix}[0-9]*'`)
        .toArray()
        .map((t) => indexOf(t.name))
        .filter((n): n is number => n !== null)
        .sort((a, b) => a - b),
  };
}
