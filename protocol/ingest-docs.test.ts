// docs/ingest.md and the contract are one: every request example on the page parses under the
// zod schema, the OpenAPI schema and the hot-path parser, to the same data; the defaults the page
// states are the ones the schema fills in. (worker/routes/metrics/collect-docs.test.ts posts the
// same examples through the real endpoint.)
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { docExamples, substitute } from '../test/doc-examples.ts';
import { parseCollect } from './ingest-parse.ts';
import { CollectRequest, CollectRequestDoc, HOST_DEFAULTS } from './ingest.ts';

const page = fs.readFileSync(new URL('../docs/ingest.md', import.meta.url), 'utf8');
const examples = docExamples(page, { now: '1795000000000' });

describe('docs/ingest.md', () => {
  it('has the examples this test expects to check (two JSON bodies and the curl here-document)', () => {
    expect(examples.map((e) => e.label)).toEqual(['json block 1', 'json block 2', 'sh here-document 1']);
  });

  it.each(examples.map((e) => [e.label, e.body] as const))('%s is a valid batch for every parser of the contract', (_, body) => {
    const zod = CollectRequest.safeParse(structuredClone(body));
    expect(zod.error?.issues ?? []).toEqual([]);
    expect(CollectRequestDoc.safeParse(structuredClone(body)).success).toBe(true);
    const fast = parseCollect(structuredClone(body));
    expect(fast.ok ? [] : fast.issues).toEqual([]);
    if (fast.ok) expect(fast.data).toEqual(zod.data);
  });

  it('shows a body without host.os and host.agentVersion, which gets the stated defaults', () => {
    const minimal = examples.find((e) => (e.body as CollectRequest).host.os === undefined);
    expect(minimal, 'an example without host.os').toBeDefined();
    expect(CollectRequest.parse(minimal!.body).host).toMatchObject(HOST_DEFAULTS);
    const text = page.replace(/\s+/g, ' ');
    expect(text).toContain(`\`host.os\` (optional, 1-64 characters): defaults to "${HOST_DEFAULTS.os}"`);
    expect(text).toMatch(new RegExp(`\`host.agentVersion\` \\(optional[^)]*\\): [^.]*; defaults to "${HOST_DEFAULTS.agentVersion}"`));
  });

  it('fills each shell variable of an example, and refuses one it does not know', () => {
    expect(JSON.stringify(examples.at(-1)!.body)).toContain('"ts":1795000000000');
    expect(() => substitute('{"ts": $later}', { now: '1' })).toThrow(/\$later/);
  });
});
