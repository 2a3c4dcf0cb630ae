// Logs (issue #14): limits, severity levels, the search query language (parsed here, turned into
// parameterised tsquery calls by worker/db/logs.ts and matched in memory by the live tail), and
// the shapes of the log API and the live tail. Shared by the worker, the tail object and the site.
import { z } from 'zod';

export const LOG_LIMITS = {
  /** A message longer than this (UTF-8 bytes) is cut there and the line marked `truncated`. */
  maxMessageBytes: 16 * 1024,
  /** Attributes kept per line; the rest are dropped and counted in `droppedAttributes`. */
  maxAttributes: 64,
  /** An attribute key longer than this (characters) drops the attribute (counted). */
  maxAttributeKeyLength: 128,
  /** An attribute value longer than this (characters, as text) is cut and the line marked `truncated`. */
  maxAttributeValueLength: 2048,
  maxServiceLength: 128,
  maxLevelLength: 32,
  /** Lines one request may carry (one INSERT); more is 413. */
  maxLinesPerRequest: 50_000,
  /** Lines are kept this long: day partitions are dropped whole past it. */
  retentionMs: 7 * 86_400_000,
  /** Lines from further in the future are rejected (a sender's clock or time zone is off). */
  acceptFutureMs: 3600_000,
  /** Search: the longest query text and the most words it may have. */
  maxQueryLength: 512,
  maxQueryTerms: 16,
  /** Attribute filters (`attr.<key>=value`) per search. */
  maxAttrFilters: 8,
  /** Lines per page of a search. */
  maxPageSize: 500,
  defaultPageSize: 100,
  /** Histogram buckets per answer. */
  maxBuckets: 200,
  /** The live tail sends each subscriber at most this many lines a second; the rest are reported as skipped. */
  maxTailLinesPerSecond: 1000,
} as const;

/** Severity levels by their lowest OTLP SeverityNumber (TRACE 1-4, DEBUG 5-8, … FATAL 21-24). */
export const LEVELS = { trace: 1, debug: 5, info: 9, warn: 13, error: 17, fatal: 21 } as const;
export type Level = keyof typeof LEVELS;
export const LEVEL_NAMES = Object.keys(LEVELS) as Level[];

/** The level a severity number belongs to ('' for 0, unspecified). */
export function levelName(severity: number): Level | '' {
  if (severity < 1 || severity > 24) return '';
  return LEVEL_NAMES[Math.floor((severity - 1) / 4)]!;
}

const LEVEL_ALIASES: Record<string, number> = {
  trace: 1,
  debug: 5,
  dbg: 5,
  info: 9,
  information: 9,
  informational: 9,
  notice: 10,
  warn: 13,
  warning: 13,
  error: 17,
  err: 17,
  fatal: 21,
  critical: 21,
  crit: 21,
  alert: 22,
  emerg: 23,
  emergency: 23,
  panic: 24,
};

/**
 * The severity number of a level as shippers write it: a name in any case (`INFO`, `warning`,
 * `err`, `CRITICAL`, OTLP's `INFO2`…), or an OTLP SeverityNumber 1-24. 0 when unknown.
 */
export function severityOf(level: unknown): number {
  if (typeof level === 'number') return Number.isInteger(level) && level >= 1 && level <= 24 ? level : 0;
  if (typeof level !== 'string') return 0;
  const s = level.trim().toLowerCase();
  if (/^\d+$/.test(s)) return severityOf(Number(s));
  const m = /^([a-z]+)([234])?$/.exec(s);
  if (!m) return 0;
  const base = LEVEL_ALIASES[m[1]!];
  if (!base) return 0;
  return m[2] && (LEVELS as Record<string, number>)[m[1]!] ? base + Number(m[2]) - 1 : base;
}

// ---- the search language ---------------------------------------------------------------

/** Words as both the index (migrations/0007_logs.sql, `log_words`) and the live tail see them. */
export function words(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

/** One word or "quoted phrase" (its words in order), possibly excluded with a leading `-`. */
export interface QueryAtom {
  words: string[];
  negated: boolean;
}
/** All groups must match; a group matches when any of its atoms does (`a OR b`). */
export type LogQuery = QueryAtom[][];

export class QueryError extends Error {}

/**
 * Parses the search box: words (all must appear), "quoted phrases" (words in that order), `OR`
 * between two terms, `-term` to exclude. Case and punctuation do not matter (`user_id` is the
 * phrase "user id"). Throws QueryError naming what cannot be searched.
 */
export function parseLogQuery(input: string): LogQuery {
  if (input.length > LOG_LIMITS.maxQueryLength) throw new QueryError(`query is ${input.length} characters; at most ${LOG_LIMITS.maxQueryLength}`);
  const tokens: { text: string; quoted: boolean; negated: boolean; at: number }[] = [];
  let i = 0;
  while (i < input.length) {
    const ch = input[i]!;
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    const at = i;
    let negated = false;
    if (ch === '-' && i + 1 < input.length && !/\s/.test(input[i + 1]!)) {
      negated = true;
      i++;
    }
    if (input[i] === '"') {
      const end = input.indexOf('"', i + 1);
      if (end < 0) throw new QueryError(`unclosed quote at position ${i + 1}`);
      tokens.push({ text: input.slice(i + 1, end), quoted: true, negated, at });
      i = end + 1;
    } else {
      let j = i;
      while (j < input.length && !/\s/.test(input[j]!) && input[j] !== '"') j++;
      tokens.push({ text: input.slice(i, j), quoted: false, negated, at });
      i = j;
    }
  }
  const groups: LogQuery = [];
  let joinNext = false;
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k]!;
    if (!t.quoted && !t.negated && t.text === 'OR') {
      if (groups.length === 0 || joinNext || k === tokens.length - 1) throw new QueryError(`OR at position ${t.at + 1} needs a term on each side`);
      joinNext = true;
      continue;
    }
    const w = words(t.text);
    if (w.length === 0) throw new QueryError(`"${t.text}" at position ${t.at + 1} has no letters or digits to search for`);
    const atom = { words: w, negated: t.negated };
    if (joinNext) groups[groups.length - 1]!.push(atom);
    else groups.push([atom]);
    joinNext = false;
  }
  const terms = groups.reduce((n, g) => n + g.length, 0);
  if (terms > LOG_LIMITS.maxQueryTerms) throw new QueryError(`query has ${terms} terms; at most ${LOG_LIMITS.maxQueryTerms}`);
  if (terms > 0 && !groups.some((g) => g.every((a) => !a.negated)))
    throw new QueryError('query only excludes words; add a word to look for');
  return groups;
}

function hasPhrase(tokens: string[], phrase: string[]): boolean {
  outer: for (let i = 0; i + phrase.length <= tokens.length; i++) {
    for (let j = 0; j < phrase.length; j++) if (tokens[i + j] !== phrase[j]) continue outer;
    return true;
  }
  return false;
}

/** The live tail's match, word for word what the search finds. */
export function matchesQuery(q: LogQuery, message: string): boolean {
  if (q.length === 0) return true;
  const tokens = words(message);
  return q.every((group) => group.some((a) => hasPhrase(tokens, a.words) !== a.negated));
}

// ---- the API's shapes --------------------------------------------------------------------

export const LogLine = z.object({
  id: z.string().describe('unique per organization; with ts, the order of the results'),
  ts: z.number().describe('epoch milliseconds (fraction: microseconds)'),
  service: z.string(),
  severity: z.number().int().describe('OTLP SeverityNumber, 0 = unspecified'),
  level: z.string().describe('the level as sent (severity text), else the name of the severity'),
  message: z.string(),
  traceId: z.string().nullable(),
  spanId: z.string().nullable(),
  attributes: z.record(z.string(), z.unknown()),
  truncated: z.boolean().describe('the message or an attribute value was cut at its size cap (docs/limits.md)'),
  droppedAttributes: z.number().int().describe('attributes left out past the count or key-size cap'),
});
export type LogLine = z.infer<typeof LogLine>;

export const LogSearchResponse = z.object({
  lines: z.array(LogLine).describe('newest first'),
  nextCursor: z.string().nullable().describe('pass as `cursor` for the next (older) page; null at the end'),
  from: z.number(),
  to: z.number(),
});
export type LogSearchResponse = z.infer<typeof LogSearchResponse>;

export const LogHistogramResponse = z.object({
  from: z.number(),
  to: z.number(),
  stepMs: z.number(),
  buckets: z.array(z.object({ ts: z.number().describe('bucket start, epoch ms'), count: z.number() })).describe('every bucket of the range, zeros included'),
});
export type LogHistogramResponse = z.infer<typeof LogHistogramResponse>;

/** A line as the live tail pushes it (no id: it is pushed before it is read back). */
export type TailLine = Omit<LogLine, 'id'>;

export interface TailFilter {
  service?: string;
  /** Lowest severity number, or 0 for every line. */
  minSeverity: number;
  q: LogQuery;
}

export function tailMatches(f: TailFilter, l: TailLine): boolean {
  if (f.service !== undefined && l.service !== f.service) return false;
  if (f.minSeverity > 0 && l.severity < f.minSeverity) return false;
  return matchesQuery(f.q, l.message);
}

export type LogTailMessage =
  | { type: 'hello'; filter: { service: string | null; level: Level | null; q: string } }
  /** Lines in the order they were acknowledged (not strictly by timestamp). */
  | { type: 'lines'; lines: TailLine[] }
  /**
   * The subscriber was sent its `maxTailLinesPerSecond` already: `count` matching lines, with
   * timestamps from `from` to `to`, were not pushed. They are stored; search for them.
   */
  | { type: 'skipped'; count: number; from: number; to: number }
  | { type: 'pong' }
  | { type: 'error'; message: string };

export const LOG_TAIL_CLOSE = { tooManySubscribers: { code: 1013, reason: 'too many live tails for this organization' } } as const;

// ---- cursors ---------------------------------------------------------------------------

/** Opaque to clients: the last line's time (µs) and id. */
export function encodeCursor(tsMicros: bigint, id: bigint): string {
  return `${tsMicros.toString(36)}.${id.toString(36)}`;
}

export function decodeCursor(s: string): { tsMicros: bigint; id: bigint } | null {
  const m = /^([0-9a-z]{1,14})\.([0-9a-z]{1,13})$/.exec(s);
  if (!m) return null;
  const b36 = (x: string) => [...x].reduce((n, ch) => n * 36n + BigInt(parseInt(ch, 36)), 0n);
  return { tsMicros: b36(m[1]!), id: b36(m[2]!) };
}
