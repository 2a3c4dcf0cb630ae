import { describe, expect, it } from 'vitest';
import { fullSample } from '../bench/full-sample.ts';
import { parseCollect } from './ingest-parse.ts';
import { CollectRequest, CollectRequestDoc, HOST_DEFAULTS, Sample, SampleDoc } from './ingest.ts';

const now = 1_795_000_000_000;
const good = fullSample(now, 1);

// Inputs around every rule of the contract; both schemas must agree on each.
const cases: [string, unknown][] = [
  ['full sample', good],
  ['custom metric with free labels', { ts: now, metrics: { 'custom.nginx.requests': [{ labels: { path: '/', code: '200' }, value: 3 }] } }],
  ['scalar custom metric', { ts: now, metrics: { 'custom.queue.depth': 4 } }],
  ['empty metrics', { ts: now, metrics: {} }],
  ['string value', { ts: now, metrics: { 'cpu.usage.total': '12' } }],
  ['null value', { ts: now, metrics: { 'cpu.usage.total': null } }],
  ['object value', { ts: now, metrics: { 'cpu.usage.total': { value: 1 } } }],
  ['infinite value', { ts: now, metrics: { 'cpu.usage.total': Infinity } }],
  ['NaN value', { ts: now, metrics: { 'cpu.usage.total': NaN } }],
  ['labelled metric as number', { ts: now, metrics: { 'disk.usage.percent': 41 } }],
  ['scalar metric as list', { ts: now, metrics: { 'cpu.usage.total': [{ labels: { core: '0' }, value: 1 }] } }],
  ['wrong label key', { ts: now, metrics: { 'disk.usage.percent': [{ labels: { device: '/' }, value: 1 }] } }],
  ['two label keys', { ts: now, metrics: { 'disk.usage.percent': [{ labels: { mount: '/', x: 'y' }, value: 1 }] } }],
  ['label value not a string', { ts: now, metrics: { 'disk.usage.percent': [{ labels: { mount: 1 }, value: 1 }] } }],
  ['labelled value not finite', { ts: now, metrics: { 'disk.usage.percent': [{ labels: { mount: '/' }, value: -Infinity }] } }],
  ['labelled value missing', { ts: now, metrics: { 'disk.usage.percent': [{ labels: { mount: '/' } }] } }],
  ['labelled element extra key', { ts: now, metrics: { 'disk.usage.percent': [{ labels: { mount: '/' }, value: 1, unit: '%' }] } }],
  ['labelled element not an object', { ts: now, metrics: { 'disk.usage.percent': [5] } }],
  ['duplicate labels', { ts: now, metrics: { 'disk.usage.percent': [{ labels: { mount: '/' }, value: 1 }, { labels: { mount: '/' }, value: 2 }] } }],
  ['bad custom label name', { ts: now, metrics: { 'custom.x': [{ labels: { '1bad': 'v' }, value: 1 }] } }],
  ['nine custom labels', { ts: now, metrics: { 'custom.x': [{ labels: Object.fromEntries([...'abcdefghi'].map((c) => [c, c])), value: 1 }] } }],
  ['unknown metric', { ts: now, metrics: { 'cpu.usage.totl': 1 } }],
  ['metrics is a list', { ts: now, metrics: [] }],
  ['metrics missing', { ts: now }],
  ['ts not an integer', { ts: now + 0.5, metrics: {} }],
  ['ts a string', { ts: String(now), metrics: {} }],
  ['extra key on sample', { ts: now, metrics: {}, tags: {} }],
  ['too many series', { ts: now, metrics: { 'custom.x': Array.from({ length: 2001 }, (_, i) => ({ labels: { i: String(i) }, value: i })) } }],
];

describe('Sample schema', () => {
  it.each(cases)('agrees with the documented schema: %s', (_, input) => {
    const fast = Sample.safeParse(input);
    const doc = SampleDoc.safeParse(input);
    expect(fast.success).toBe(doc.success);
  });

  it('accepts what it should and rejects the rest', () => {
    const accepted = cases.filter(([, input]) => Sample.safeParse(input).success).map(([name]) => name);
    expect(accepted).toEqual(['full sample', 'custom metric with free labels', 'scalar custom metric', 'empty metrics']);
  });

  it('names the path of the bad value', () => {
    const r = Sample.safeParse({ ts: now, metrics: { 'disk.usage.percent': [{ labels: { mount: '/' }, value: 1 }, { labels: { mount: '/x' }, value: 'a' }] } });
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => i.path)).toEqual([['metrics', 'disk.usage.percent', 1, 'value']]);
  });

  it('checks a whole batch the same way', () => {
    const batch = { host: { id: 'h', name: 'h', os: 'linux', agentVersion: '1' }, batchId: 'b', samples: [good] };
    expect(CollectRequest.safeParse(batch).success).toBe(true);
    expect(CollectRequestDoc.safeParse(batch).success).toBe(true);
  });
});

const host = { id: 'web-1', name: 'web-1', os: 'linux', agentVersion: '0.1.0' };
const batchCases: [string, unknown][] = [
  ...cases.map(([name, s]) => [`one sample: ${name}`, { host, batchId: 'b-1', samples: [s] }] as [string, unknown]),
  ['two samples', { host, batchId: 'b-1', samples: [good, fullSample(now + 5000, 2)] }],
  ['duplicate ts', { host, batchId: 'b-1', samples: [good, good] }],
  ['no samples', { host, batchId: 'b-1', samples: [] }],
  ['501 samples', { host, batchId: 'b-1', samples: Array.from({ length: 501 }, (_, i) => ({ ts: now + i, metrics: {} })) }],
  ['samples not a list', { host, batchId: 'b-1', samples: {} }],
  ['empty batchId', { host, batchId: '', samples: [good] }],
  ['batchId with a slash', { host, batchId: 'a/b', samples: [good] }],
  ['long batchId', { host, batchId: 'x'.repeat(129), samples: [good] }],
  ['host missing', { batchId: 'b', samples: [good] }],
  ['host id with a space', { host: { ...host, id: 'a b' }, batchId: 'b', samples: [good] }],
  ['host extra key', { host: { ...host, region: 'eu' }, batchId: 'b', samples: [good] }],
  ['host name empty', { host: { ...host, name: '' }, batchId: 'b', samples: [good] }],
  ['host os a number', { host: { ...host, os: 1 }, batchId: 'b', samples: [good] }],
  ['host without os and agentVersion', { host: { id: 'web-1', name: 'web-1' }, batchId: 'b', samples: [good] }],
  ['host without os', { host: { id: 'web-1', name: 'web-1', agentVersion: '2.0' }, batchId: 'b', samples: [good] }],
  ['host os null', { host: { ...host, os: null }, batchId: 'b', samples: [good] }],
  ['host agentVersion empty', { host: { ...host, agentVersion: '' }, batchId: 'b', samples: [good] }],
  ['host without name', { host: { id: 'web-1' }, batchId: 'b', samples: [good] }],
  ['top-level extra key', { host, batchId: 'b', samples: [good], extra: 1 }],
  ['a list', [1, 2, 3]],
  ['null', null],
  ['a string', 'x'],
  ['ts zero', { host, batchId: 'b', samples: [{ ts: 0, metrics: {} }] }],
  ['ts negative', { host, batchId: 'b', samples: [{ ts: -5, metrics: {} }] }],
  ['sample not an object', { host, batchId: 'b', samples: [5] }],
];

describe('parseCollect (the hot-path parser)', () => {
  it.each(batchCases)('agrees with the zod contract: %s', (_, input) => {
    // Parsed from copies: parseCollect fills the host defaults into the object it is given.
    const copy = () => structuredClone(input);
    const zod = CollectRequest.safeParse(copy());
    const fast = parseCollect(copy());
    expect(fast.ok).toBe(zod.success);
    expect(fast.ok).toBe(CollectRequestDoc.safeParse(copy()).success);
    if (!fast.ok) expect(fast.issues.length).toBeGreaterThan(0);
    else expect(fast.data).toEqual(zod.data); // the same data, defaults included
  });

  it('fills in the documented defaults for a host without os and agentVersion', () => {
    const r = parseCollect({ host: { id: 'web-1', name: 'web-1' }, batchId: 'b', samples: [good] });
    expect(r.ok && r.data.host).toEqual({ id: 'web-1', name: 'web-1', ...HOST_DEFAULTS });
    const partial = parseCollect({ host: { id: 'web-1', name: 'web-1', os: 'FreeBSD 14' }, batchId: 'b', samples: [good] });
    expect(partial.ok && partial.data.host).toEqual({ id: 'web-1', name: 'web-1', os: 'FreeBSD 14', agentVersion: HOST_DEFAULTS.agentVersion });
  });

  it('still names a present but invalid os or agentVersion', () => {
    const r = parseCollect({ host: { ...host, os: '', agentVersion: 3 }, batchId: 'b', samples: [good] });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.issues.map((i) => i.path.join('.'))).toEqual(['host.os', 'host.agentVersion']);
  });

  it('names each bad field by path', () => {
    const r = parseCollect({ host: { ...host, id: 'a b' }, batchId: 'b', samples: [good, { ts: now + 5000, metrics: { 'cpu.usage.total': 'x' } }] });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.issues.map((i) => i.path)).toEqual([['host', 'id'], ['samples', 1, 'metrics', 'cpu.usage.total']]);
  });
});
