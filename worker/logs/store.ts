// What both log ingest routes do once they have lines: the organization's line rate limit, one
// INSERT (durable before the answer: one statement, committed when it returns), then the organization's live tails.
import type { StoredLine } from '../../protocol/log-lines.ts';
import { httpDb, withDb } from '../db/client.ts';
import { insertLines, linesJson } from '../db/logs.ts';
import { RATE_LIMITS } from '../limits.ts';
import { enforceRateLimit } from '../ratelimit.ts';

/**
 * Bodies up to this much JSON go over the HTTP query endpoint (one fetch; Neon answers from its
 * pooled connections), larger ones over a connection of their own. A connection per request was
 * the largest cost of ingest after the GIN index (Postgres forks a backend and runs SCRAM for
 * each; docs/performance.md). Kept well under the HTTP endpoint's request size.
 */
export const HTTP_INSERT_MAX_CHARS = 4 * 1024 * 1024;

type WaitUntil = { waitUntil(p: Promise<unknown>): void };

export async function storeLines(env: Env, ctx: WaitUntil, tenantId: string, lines: StoredLine[], now: number): Promise<void> {
  if (lines.length === 0) return;
  const rule = RATE_LIMITS.logLines;
  await enforceRateLimit(env, rule, tenantId, Math.ceil(lines.length / rule.perCount));
  const rows = linesJson(lines);
  if (rows.length <= HTTP_INSERT_MAX_CHARS) await insertLines(httpDb(env), tenantId, rows, now);
  else await withDb(env, (db) => insertLines(db, tenantId, rows, now));
  // After the commit: a tail never shows a line that is not stored. Not awaited: the answer
  // does not wait for subscribers, and a tail object that fails must not fail ingest.
  ctx.waitUntil(
    env.LOG_TAIL.getByName(tenantId)
      .publish(lines)
      .catch((err: unknown) => console.error(JSON.stringify({ msg: 'log tail publish failed', tenantId, lines: lines.length, error: String(err) }))),
  );
}
