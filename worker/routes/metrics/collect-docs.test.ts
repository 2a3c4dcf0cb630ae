// docs/ingest.md's request examples, posted as they are (timestamps moved to now) through the real
// endpoint: a third-party sender following the page gets a 200, and a host without os or
// agentVersion is listed with the defaults the page states. (protocol/ingest-docs.test.ts checks
// the same examples against every parser of the contract.)
import { beforeAll, describe, expect, it } from 'vitest';
import page from '../../../docs/ingest.md?raw';
import { HOST_DEFAULTS, type CollectRequest } from '../../../protocol/ingest.ts';
import type { HostSummary } from '../../../protocol/query.ts';
import { waitFor } from '../../../test/alert-helpers.ts';
import { atTime, docExamples } from '../../../test/doc-examples.ts';
import { get, post, seedTenant } from '../../../test/helpers.ts';

let t: Awaited<ReturnType<typeof seedTenant>>;
beforeAll(async () => {
  t = await seedTenant('Docs examples');
});

const listed = async () => ((await (await get(t.readKey, '/api/v1/hosts')).json()) as { hosts: HostSummary[] }).hosts;

describe('docs/ingest.md examples through POST /api/v1/metrics/collect', () => {
  const now = Date.now();
  const examples = docExamples(page, { now: String(now) });

  it('finds the examples on the page', () => {
    expect(examples.length).toBeGreaterThanOrEqual(3);
  });

  it.each(examples.map((e) => [e.label, e.body] as const))('accepts %s', async (_, body) => {
    const batch = atTime(body as CollectRequest, now);
    const res = await post(t.ingestKey, batch);
    const answer = await res.json();
    expect(res.status, JSON.stringify(answer)).toBe(200);
    expect(answer).toEqual({ accepted: batch.samples.length, duplicate: false, batchId: batch.batchId, durableThrough: Math.max(...batch.samples.map((s) => s.ts)) });
    const cur = (await (await get(t.readKey, `/api/v1/metrics/current?host=${batch.host.id}`)).json()) as { hosts: { lastSeen: number }[] };
    expect(cur.hosts[0]!.lastSeen).toBeGreaterThanOrEqual(Math.max(...batch.samples.map((s) => s.ts)));
  });

  it('lists a host sent without os and agentVersion with the documented defaults', async () => {
    const minimal = examples.find((e) => (e.body as CollectRequest).host.os === undefined)!.body as CollectRequest;
    const batch = atTime({ ...minimal, host: { ...minimal.host, id: 'docs-minimal' }, batchId: 'docs-minimal-1' }, now);
    expect((await post(t.ingestKey, batch)).status).toBe(200);
    const hosts = await waitFor(listed, (h) => h.some((x) => x.id === 'docs-minimal'));
    expect(hosts.find((x) => x.id === 'docs-minimal')).toMatchObject({ name: minimal.host.name, ...HOST_DEFAULTS });
  });
});
