// Helpers for tests that run inside workerd.
import { env, runInDurableObject, SELF } from 'cloudflare:test';
import type { CollectRequest, Sample } from '../protocol/ingest.ts';
import { withDb } from '../worker/db/client.ts';
import { createApiKey, createTenant } from '../worker/db/tenants.ts';

export const BASE = 'http://monitor.test';

export async function seedTenant(name = 'Test Org') {
  return withDb(env, async (db) => {
    const tenant = await createTenant(db, name);
    const ingest = await createApiKey(db, tenant.id, 'ingest');
    const read = await createApiKey(db, tenant.id, 'read');
    return { tenant, ingestKey: ingest.secret, readKey: read.secret, ingestKeyId: ingest.id };
  });
}

let batchSeq = 0;
export function batch(hostId: string, samples: Sample[], batchId = `b-${Date.now()}-${++batchSeq}`): CollectRequest {
  return { host: { id: hostId, name: `${hostId}.example`, os: 'linux', agentVersion: '0.1.0' }, batchId, samples };
}

export function sample(ts: number, cpu: number, extra: Sample['metrics'] = {}): Sample {
  return {
    ts,
    metrics: {
      'cpu.usage.total': cpu,
      'memory.usage.percent': 50,
      'cpu.cores.usage': [
        { labels: { core: '0' }, value: cpu },
        { labels: { core: '1' }, value: cpu / 2 },
      ],
      ...extra,
    },
  };
}

export function post(key: string, body: unknown, init: { headers?: Record<string, string>; raw?: BodyInit } = {}) {
  return SELF.fetch(`${BASE}/api/v1/metrics/collect`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...init.headers },
    body: init.raw ?? JSON.stringify(body),
  });
}

export function get(key: string, path: string) {
  return SELF.fetch(`${BASE}${path}`, { headers: { authorization: `Bearer ${key}` } });
}

/**
 * Ends an object's instance as a deploy or a crash does: its memory and timers are gone, its
 * storage and alarm stay. For objects that may have a timer pending: evictDurableObject waits for
 * it (a pending timer keeps an object in memory), and a service object re-scores its anomalies
 * from a timer for 15 minutes after its last request (docs/anomalies.md). Use a fresh stub after.
 */
export async function restartObject(stub: DurableObjectStub): Promise<void> {
  const ended = await runInDurableObject(stub, (_o, state: DurableObjectState) => state.abort('test: restart')).then(
    () => false,
    () => true,
  );
  if (!ended) throw new Error('restartObject: the instance did not end');
}
