import { env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { LIMITS } from '../../../protocol/ingest.ts';
import { batch, get, post, sample, seedTenant } from '../../../test/helpers.ts';

type Err = { error: { code: string; message: string; field?: string } };

let t: Awaited<ReturnType<typeof seedTenant>>;
beforeAll(async () => {
  t = await seedTenant();
});

async function gzip(text: string): Promise<Uint8Array> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

const stats = (tenantId: string, host: string) => env.HOSTS.getByName(`${tenantId}:${host}`).stats();

async function expectError(res: Response, status: number, field: string | RegExp) {
  const body = (await res.json()) as Err;
  expect(res.status, JSON.stringify(body)).toBe(status);
  if (typeof field === 'string') expect(body.error.field).toBe(field);
  else expect(body.error.field).toMatch(field);
  expect(body.error.message.length).toBeGreaterThan(5);
  return body;
}

describe('POST /api/v1/metrics/collect', () => {
  it('accepts a batch and serves it as current values', async () => {
    const now = Date.now();
    const res = await post(t.ingestKey, batch('web-1', [sample(now - 5000, 10), sample(now, 20)]));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ accepted: 2, duplicate: false });

    const cur = await get(t.readKey, '/api/v1/metrics/current?host=web-1');
    expect(cur.status).toBe(200);
    const body = (await cur.json()) as { hosts: { host: string; lastSeen: number; values: { metric: string; labels: Record<string, string>; value: number }[] }[] };
    expect(body.hosts).toHaveLength(1);
    expect(body.hosts[0]!.lastSeen).toBe(now);
    const v = body.hosts[0]!.values;
    expect(v.find((x) => x.metric === 'cpu.usage.total')!.value).toBe(20);
    expect(v.find((x) => x.metric === 'cpu.cores.usage' && x.labels.core === '1')!.value).toBe(10);
  });

  it('acknowledges a repeated batchId and changes nothing', async () => {
    const now = Date.now();
    const b = batch('dup-host', [sample(now, 30)], 'batch-fixed-1');
    expect((await (await post(t.ingestKey, b)).json()) as object).toMatchObject({ accepted: 1, duplicate: false });
    const before = await stats(t.tenant.id, 'dup-host');
    const again = { ...b, samples: [sample(now, 99)] }; // same id, different content: still ignored
    const res = await post(t.ingestKey, again);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ accepted: 0, duplicate: true, batchId: 'batch-fixed-1' });
    expect(await stats(t.tenant.id, 'dup-host')).toEqual(before);
    const cur = (await (await get(t.readKey, '/api/v1/metrics/current?host=dup-host')).json()) as { hosts: { values: { metric: string; value: number }[] }[] };
    expect(cur.hosts[0]!.values.find((x) => x.metric === 'cpu.usage.total')!.value).toBe(30);
  });

  it('accepts a gzip body', async () => {
    const body = JSON.stringify(batch('gz-host', [sample(Date.now(), 5)]));
    const res = await post(t.ingestKey, null, { headers: { 'content-encoding': 'gzip' }, raw: await gzip(body) });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ accepted: 1 });
  });

  it('rejects invalid gzip data', async () => {
    await expectError(await post(t.ingestKey, null, { headers: { 'content-encoding': 'gzip' }, raw: 'not gzip at all' }), 400, '(body)');
  });

  it('rejects an oversized body, plain or inflated from a small gzip', async () => {
    const big = 'x'.repeat(LIMITS.maxBodyBytes + 10);
    await expectError(await post(t.ingestKey, null, { raw: big }), 413, '(body)');
    const bomb = await gzip(' '.repeat(LIMITS.maxBodyBytes * 4));
    expect(bomb.byteLength).toBeLessThan(LIMITS.maxBodyBytes / 10);
    await expectError(await post(t.ingestKey, null, { headers: { 'content-encoding': 'gzip' }, raw: bomb }), 413, '(body)');
  });

  it('rejects unsupported content encodings and types', async () => {
    await expectError(await post(t.ingestKey, null, { headers: { 'content-encoding': 'br' }, raw: '{}' }), 415, 'content-encoding');
    await expectError(await post(t.ingestKey, null, { headers: { 'content-type': 'text/plain' }, raw: '{}' }), 415, 'content-type');
  });

  it('rejects malformed JSON, NaN and Infinity', async () => {
    const now = Date.now();
    const good = JSON.stringify(batch('nan-host', [sample(now, 1)]));
    await expectError(await post(t.ingestKey, null, { raw: good.replace('"cpu.usage.total":1', '"cpu.usage.total":NaN') }), 400, '(body)');
    const inf = await expectError(
      await post(t.ingestKey, null, { raw: good.replace('"cpu.usage.total":1', '"cpu.usage.total":1e999') }),
      400,
      'samples[0].metrics["cpu.usage.total"]',
    );
    expect(inf.error.message).toMatch(/finite/);
  });

  it('names the field for wrong types', async () => {
    const now = Date.now();
    const cases: [unknown, string][] = [
      [{ ...batch('h', [sample(now, 1)]), samples: [{ ts: now, metrics: { 'cpu.usage.total': '12' } }] }, 'samples[0].metrics["cpu.usage.total"]'],
      [{ ...batch('h', [sample(now, 1)]), samples: [{ ts: String(now), metrics: {} }] }, 'samples[0].ts'],
      [{ ...batch('h', [sample(now, 1)]), samples: [{ ts: now + 0.5, metrics: {} }] }, 'samples[0].ts'],
      [{ ...batch('h', [sample(now, 1)]), host: { id: 'h', name: 'h', os: 'linux', agentVersion: 1 } }, 'host.agentVersion'],
      [{ ...batch('h', [sample(now, 1)]), host: { id: 'h', os: 'linux' } }, 'host.name'],
      [{ ...batch('h', [sample(now, 1)]), host: { id: 'bad id/..', name: 'h', os: 'linux', agentVersion: '1' } }, 'host.id'],
      [{ ...batch('h', [sample(now, 1)]), batchId: '' }, 'batchId'],
      [{ ...batch('h', [sample(now, 1)]), samples: [] }, 'samples'],
      [batch('h', [{ ts: now, metrics: { 'disk.usage.percent': 41 } }]), 'samples[0].metrics["disk.usage.percent"]'],
      [batch('h', [{ ts: now, metrics: { 'cpu.usage.total': [{ labels: { core: '0' }, value: 1 }] } }]), 'samples[0].metrics["cpu.usage.total"]'],
      [batch('h', [{ ts: now, metrics: { 'disk.usage.percent': [{ labels: { device: '/' }, value: 1 }] } }]), 'samples[0].metrics["disk.usage.percent"][0].labels'],
      [batch('h', [sample(now, 1), sample(now, 2)]), 'samples[1].ts'],
      [[1, 2, 3], '(body)'],
    ];
    for (const [body, field] of cases) await expectError(await post(t.ingestKey, body), 400, field);
  });

  it('rejects unknown keys and unknown metrics by name', async () => {
    const now = Date.now();
    const top = await expectError(await post(t.ingestKey, { ...batch('h', [sample(now, 1)]), extra: 1 }), 400, 'extra');
    expect(top.error.message).toMatch(/unknown field "extra"/);
    await expectError(await post(t.ingestKey, { ...batch('h', [sample(now, 1)]), host: { ...batch('h', []).host, region: 'x' } }), 400, 'host.region');
    await expectError(await post(t.ingestKey, batch('h', [{ ts: now, metrics: {}, tags: {} } as never])), 400, 'samples[0].tags');
    const unk = await expectError(await post(t.ingestKey, batch('h', [{ ts: now, metrics: { 'cpu.usage.totl': 1 } }])), 400, 'samples[0].metrics["cpu.usage.totl"]');
    expect(unk.error.message).toMatch(/unknown metric/);
  });

  it('rejects timestamps far in the future or past', async () => {
    const now = Date.now();
    await expectError(await post(t.ingestKey, batch('h', [sample(now + 3600_000, 1)])), 400, 'samples[0].ts');
    await expectError(await post(t.ingestKey, batch('h', [sample(now, 1), sample(now - 25 * 3600_000, 1)])), 400, 'samples[1].ts');
  });

  it('lets a sender that reads durableThrough defer the write (Pulse-Durability: deferred), and names a bad value', async () => {
    const now = Date.now();
    const open = Math.floor(now / 300_000) * 300_000 + 300_000 - now > 15_000; // its window stays open meanwhile
    const res = await post(t.ingestKey, batch('deferred-host', [sample(now, 1)]), { headers: { 'pulse-durability': 'deferred' } });
    const body = (await res.json()) as { accepted: number; durableThrough: number | null };
    expect(res.status).toBe(200);
    expect(body.accepted).toBe(1);
    // Nothing was durable before; the sample waits in memory (unless its window just ended).
    if (open) expect(body.durableThrough).toBe(now - 1);
    expect((await stats(t.tenant.id, 'deferred-host')).rawSamples).toBe(1);
    await expectError(await post(t.ingestKey, batch('deferred-host', [sample(now + 5000, 1)]), { headers: { 'pulse-durability': 'later' } }), 400, 'header.pulse-durability');
  });

  it('writes nothing of a batch with one bad sample', async () => {
    const now = Date.now();
    const res = await post(t.ingestKey, batch('half-host', [sample(now - 5000, 1), { ts: now, metrics: { 'cpu.usage.total': -Infinity } } as never]));
    expect(res.status).toBe(400);
    expect((await get(t.readKey, '/api/v1/metrics/current?host=half-host')).status).toBe(404);
    expect((await stats(t.tenant.id, 'half-host')).rawSamples).toBe(0);
  });

  it('requires an ingest key; a read key cannot ingest and an ingest key cannot read', async () => {
    const b = batch('auth-host', [sample(Date.now(), 1)]);
    await expectError(await post('', b, { headers: { authorization: '' } }), 401, 'authorization');
    await expectError(await post('mk_ingest_not-a-real-key', b), 401, 'authorization');
    await expectError(await post(t.readKey, b), 403, 'authorization');
    await expectError(await get(t.ingestKey, '/api/v1/metrics/current'), 403, 'authorization');
    await expectError(await get(t.ingestKey, '/api/v1/hosts'), 403, 'authorization');
    await expectError(await get(t.ingestKey, '/api/v1/metrics/history?host=web-1&metric=cpu.usage.total'), 403, 'authorization');
  });

  it('routes each tenant to its own object: the same host id never mixes', async () => {
    const other = await seedTenant('Other Org');
    const now = Date.now();
    expect((await post(t.ingestKey, batch('shared-id', [sample(now, 11)]))).status).toBe(200);
    expect((await post(other.ingestKey, batch('shared-id', [sample(now, 77)]))).status).toBe(200);
    const mine = (await (await get(t.readKey, '/api/v1/metrics/current?host=shared-id')).json()) as { hosts: { values: { metric: string; value: number }[] }[] };
    const theirs = (await (await get(other.readKey, '/api/v1/metrics/current?host=shared-id')).json()) as typeof mine;
    expect(mine.hosts[0]!.values.find((v) => v.metric === 'cpu.usage.total')!.value).toBe(11);
    expect(theirs.hosts[0]!.values.find((v) => v.metric === 'cpu.usage.total')!.value).toBe(77);
    // The other tenant cannot see this tenant's host that it does not share.
    expect((await get(other.readKey, '/api/v1/metrics/current?host=web-1')).status).toBe(404);
  });
});
