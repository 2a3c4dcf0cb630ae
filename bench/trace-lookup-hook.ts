// bench:logs' trace lookup by id figure (issue #14: "also print trace lookup by id p95"). Its
// summary line's format is the issue's, so this prints its own line just before it and adds
// nothing to it. The traces are posted through POST /v1/traces (the hook has no database
// handle): 100 traces of 4 spans, then bench:traces' lookup (benchTraceLookup) over them.
import { otlpTraces } from '../test/otlp-body.ts';
import { benchTraceLookup } from './traces.ts';

const TRACES = 100;
const LOOKUPS = 200;

export async function traceLookupLine(ctx: { url: string; readKey: string; ingestKey: string }): Promise<string> {
  const ids: string[] = [];
  for (let i = 0; i < TRACES; i++) {
    const traceId = Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
    ids.push(traceId);
    // A failed request: error traces are always stored whole, where 100 ok traces posted at once
    // would pass the sample's burst allowance (docs/traces.md) and some would not be stored.
    const spans = [0, 1, 2, 3].map((k) => ({ route: '/api/cart', kind: k === 0 ? 2 : 3, durationMs: 5 + k, end: Date.now() - 1000, traceId, status: k === 0 ? 500 : undefined }));
    const res = await fetch(`${ctx.url}/v1/traces`, { method: 'POST', headers: { authorization: `Bearer ${ctx.ingestKey}`, 'content-type': 'application/json' }, body: JSON.stringify(otlpTraces('bench-logs-traces', spans)) });
    if (!res.ok) throw new Error(`/v1/traces answered ${res.status}: ${await res.text()}`);
  }
  // Stored copies are written just after the answers: wait until the last one is there.
  const deadline = Date.now() + 15_000;
  const last = () => fetch(`${ctx.url}/api/v1/traces/${ids[ids.length - 1]}`, { headers: { authorization: `Bearer ${ctx.readKey}` } }).then((r) => r.status);
  while ((await last()) !== 200) {
    if (Date.now() > deadline) throw new Error('the posted traces were not stored within 15 s');
    await new Promise((r) => setTimeout(r, 200));
  }
  await benchTraceLookup({ url: ctx.url, readKey: ctx.readKey, traceIds: ids.slice(0, 20), count: 20 }); // warm-up
  const f = await benchTraceLookup({ url: ctx.url, readKey: ctx.readKey, traceIds: ids, count: LOOKUPS });
  console.log(`trace lookup by id: p95 ${f.p95.toFixed(1)} ms (p50 ${f.p50.toFixed(1)} ms, ${LOOKUPS} lookups of ${TRACES} posted traces)`);
  return '';
}
