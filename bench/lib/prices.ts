// The list prices bench:cost uses, read from their one home: the "List prices" table of
// docs/scaling.md (rows whose first cell is a `key`). A missing or unreadable price is an error.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const PRICE_KEYS = ['workerRequests', 'doRequests', 'wsMessagesPerRequest', 'doDurationGbS', 'doMemoryGb', 'sqlRowsWritten', 'sqlRowsRead', 'sqlStorageGbMonth'] as const;
export type PriceKey = (typeof PRICE_KEYS)[number];
/** USD per unit (per request, per row, per GB-s, per GB-month), or the plain number for ratios/sizes. */
export type Prices = Record<PriceKey, number>;

const DOC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../docs/scaling.md');

/** Parses `| \`key\` | what | number | unit | source |` rows; "per million" units divide by 1e6. */
export function parsePrices(markdown: string): Prices {
  const out: Partial<Prices> = {};
  for (const line of markdown.split('\n')) {
    const m = /^\|\s*`([A-Za-z]+)`\s*\|[^|]*\|\s*\$?([0-9.,]+)\s*\|([^|]*)\|/.exec(line);
    if (!m) continue;
    const key = m[1] as PriceKey;
    if (!PRICE_KEYS.includes(key)) continue;
    const n = Number(m[2]!.replace(/,/g, ''));
    if (!Number.isFinite(n)) throw new Error(`docs/scaling.md: price ${key} is not a number`);
    out[key] = /per million/i.test(m[3]!) ? n / 1e6 : n;
  }
  const missing = PRICE_KEYS.filter((k) => out[k] === undefined);
  if (missing.length) throw new Error(`docs/scaling.md "List prices" lacks ${missing.join(', ')}`);
  return out as Prices;
}

export const loadPrices = (): Prices => parsePrices(fs.readFileSync(DOC, 'utf8'));
