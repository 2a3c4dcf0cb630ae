// A revoked key stops its running ingest streams at once: the key route tells every host object
// of the organization to close the streams that key opened (durable-objects/ingest-stream.ts).
// A missed push is bounded by the stream's maximum age, after which the key is checked again
// (STREAM_LIMITS.maxAgeMs; docs/ingest.md "Revocation").
import { eq } from 'drizzle-orm';
import { httpDb } from '../../db/client.ts';
import { hosts } from '../../db/schema.ts';
import { hostObjectName } from '../../types.ts';
import { settleLimited } from '../../../durable-objects/core/settle-limited.ts';

const PUSH_CONCURRENCY = 50;

/** Returns how many streams were closed; a failed push is logged, not thrown (the revocation stands). */
export async function closeKeyStreams(env: Env, tenantId: string, keyId: string): Promise<number> {
  const rows = await httpDb(env).select({ id: hosts.id }).from(hosts).where(eq(hosts.tenantId, tenantId));
  let closed = 0;
  const results = await settleLimited(rows, PUSH_CONCURRENCY, (h) => env.HOSTS.getByName(hostObjectName(tenantId, h.id)).revokeKey(keyId));
  results.forEach((r, j) => {
    if (r.status === 'fulfilled') closed += r.value;
    else console.error(JSON.stringify({ msg: 'stream revocation push failed; the stream ends at its maximum age', host: rows[j]!.id, error: String(r.reason) }));
  });
  return closed;
}
