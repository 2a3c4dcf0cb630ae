// What both log ingest routes do once they have lines: the organization's line rate limit, one
// INSERT (durable before the answer), then the organization's live tails.
import type { StoredLine } from '../../protocol/log-lines.ts';
import { withDb } from '../db/client.ts';
import { insertLines } from '../db/logs.ts';
import { RATE_LIMITS } from '../limits.ts';
import { enforceRateLimit } from '../ratelimit.ts';

type WaitUntil = { waitUntil(p: Promise<unknown>): void };

export async function storeLines(env: Env, ctx: WaitUntil, tenantId: string, lines: StoredLine[], now: number): Promise<void> {
  if (lines.length === 0) return;
  const rule = RATE_LIMITS.logLines;
  await enforceRateLimit(env, rule, tenantId, Math.ceil(lines.length / rule.perCount));
  await withDb(env, (db) => insertLines(db, tenantId, lines, now));
  // After the commit: a tail never shows a line that is not stored. Not awaited: the answer
  // does not wait for subscribers, and a tail object that fails must not fail ingest.
  ctx.waitUntil(
    env.LOG_TAIL.getByName(tenantId)
      .publish(lines)
      .catch((err: unknown) => console.error(JSON.stringify({ msg: 'log tail publish failed', tenantId, lines: lines.length, error: String(err) }))),
  );
}
