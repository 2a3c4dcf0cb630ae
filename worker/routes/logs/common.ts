// The filters every log read shares (search, histogram, live tail): the query schema, and the
// request turned into a LogFilter. A query the parser cannot take is a 400 naming it.
import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { LEVEL_NAMES, LEVELS, LOG_LIMITS, parseLogQuery, QueryError, type Level, type LogQuery } from '../../../protocol/logs.ts';
import type { LogFilter } from '../../db/logs.ts';
import { ApiError } from '../../errors.ts';
import type { AppEnv } from '../../types.ts';
import { TimeParam } from '../metrics/params.ts';

const DEFAULT_RANGE_MS = 86_400_000;

export const TailFilterQuery = z.object({
  q: z.string().max(LOG_LIMITS.maxQueryLength).optional().openapi({ description: 'words (all must appear), "a phrase", a OR b, -excluded; case and punctuation ignored (docs/logs.md)', example: 'timeout -retry' }),
  service: z.string().min(1).max(LOG_LIMITS.maxServiceLength).optional().openapi({ example: 'checkout' }),
  level: z.enum(LEVEL_NAMES as [Level, ...Level[]]).optional().openapi({ description: 'this level and above' }),
});

export const FilterQuery = TailFilterQuery.extend({
  from: TimeParam.optional(),
  to: TimeParam.optional(),
  trace_id: z.string().regex(/^[0-9a-fA-F]{32}$/, 'must be 32 hex digits').optional(),
  span_id: z.string().regex(/^[0-9a-fA-F]{16}$/, 'must be 16 hex digits').optional(),
}).openapi({ description: 'Also `attr.<key>=<value>`: lines whose attribute equals the value (as text), up to 8.' });

export function parseQuery(q: string | undefined): LogQuery {
  try {
    return parseLogQuery(q ?? '');
  } catch (err) {
    if (err instanceof QueryError) throw new ApiError(400, 'invalid_query', `q: ${err.message}`, 'q');
    throw err;
  }
}

/** `attr.<key>=<value>` pairs of the query string. */
function attrFilters(c: Context<AppEnv>): [string, string][] {
  const out: [string, string][] = [];
  for (const [k, values] of Object.entries(c.req.queries())) {
    if (!k.startsWith('attr.')) continue;
    const key = k.slice(5);
    if (!key || key.length > LOG_LIMITS.maxAttributeKeyLength) throw new ApiError(400, 'invalid_request', `${k}: the attribute name must be 1-${LOG_LIMITS.maxAttributeKeyLength} characters`, k);
    for (const v of values) {
      if (v.length > LOG_LIMITS.maxAttributeValueLength) throw new ApiError(400, 'invalid_request', `${k}: value longer than ${LOG_LIMITS.maxAttributeValueLength} characters`, k);
      out.push([key, v]);
    }
  }
  if (out.length > LOG_LIMITS.maxAttrFilters) throw new ApiError(400, 'invalid_request', `at most ${LOG_LIMITS.maxAttrFilters} attr.<key> filters`, 'attr');
  return out;
}

export function toFilter(c: Context<AppEnv>, v: z.infer<typeof FilterQuery>, now: number): LogFilter {
  const to = v.to ?? now;
  const from = v.from ?? to - DEFAULT_RANGE_MS;
  if (from >= to) throw new ApiError(400, 'invalid_request', 'from must be before to', 'from');
  if (from < now - LOG_LIMITS.retentionMs - 86_400_000) throw new ApiError(400, 'invalid_request', `from is older than the ${LOG_LIMITS.retentionMs / 86_400_000} days kept`, 'from');
  return {
    from,
    to,
    service: v.service,
    minSeverity: v.level ? LEVELS[v.level] : 0,
    traceId: v.trace_id?.toLowerCase(),
    spanId: v.span_id?.toLowerCase(),
    attrs: attrFilters(c),
    q: parseQuery(v.q),
  };
}
