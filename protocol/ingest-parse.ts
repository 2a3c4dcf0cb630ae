// The ingest hot path's parser: the contract of `CollectRequest` (protocol/ingest.ts) checked by
// hand in one pass. zod runs without its compiled fast path in workerd, where it was the largest
// cost of a request (docs/performance.md); protocol/ingest.test.ts proves both agree.
import { checkMetrics, HOST_DEFAULTS, LIMITS, type CollectRequest } from './ingest.ts';

export interface ParseIssue {
  path: (string | number)[];
  message: string;
}

const ID = /^[A-Za-z0-9._-]{1,128}$/;
const ID_MSG = 'must be 1-128 characters of letters, digits, ".", "_" and "-"';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function unknownKeys(obj: Record<string, unknown>, allowed: readonly string[], path: (string | number)[], out: ParseIssue[]) {
  for (const k in obj) if (!allowed.includes(k)) out.push({ path: [...path, k], message: `unknown field "${k}"` });
}

function str(v: unknown, path: (string | number)[], max: number, out: ParseIssue[], re?: RegExp, reMsg?: string) {
  if (typeof v !== 'string') out.push({ path, message: v === undefined ? 'is required' : 'must be a string' });
  else if (v.length < 1 || v.length > max) out.push({ path, message: `must be 1-${max} characters` });
  else if (re && !re.test(v)) out.push({ path, message: reMsg ?? 'is invalid' });
}

export function parseCollect(input: unknown): { ok: true; data: CollectRequest } | { ok: false; issues: ParseIssue[] } {
  const issues: ParseIssue[] = [];
  if (!isObject(input)) return { ok: false, issues: [{ path: [], message: 'must be a JSON object with host, batchId and samples' }] };
  unknownKeys(input, ['host', 'batchId', 'samples'], [], issues);

  const host = input.host;
  if (!isObject(host)) issues.push({ path: ['host'], message: host === undefined ? 'is required' : 'must be an object' });
  else {
    unknownKeys(host, ['id', 'name', 'os', 'agentVersion'], ['host'], issues);
    str(host.id, ['host', 'id'], 128, issues, ID, ID_MSG);
    str(host.name, ['host', 'name'], 255, issues);
    // Optional (HOST_DEFAULTS), as in the zod contract: only an absent value gets the default.
    if (host.os !== undefined) str(host.os, ['host', 'os'], 64, issues);
    if (host.agentVersion !== undefined) str(host.agentVersion, ['host', 'agentVersion'], 64, issues);
  }
  str(input.batchId, ['batchId'], 128, issues, ID, ID_MSG);

  const samples = input.samples;
  if (!Array.isArray(samples)) issues.push({ path: ['samples'], message: samples === undefined ? 'is required' : 'must be a list' });
  else if (samples.length < 1 || samples.length > LIMITS.maxSamplesPerBatch)
    issues.push({ path: ['samples'], message: `must hold 1 to ${LIMITS.maxSamplesPerBatch} samples` });
  else {
    const seen = new Set<number>();
    for (let i = 0; i < samples.length && issues.length < 20; i++) {
      const s = samples[i];
      const path = ['samples', i];
      if (!isObject(s)) {
        issues.push({ path, message: 'must be an object with ts and metrics' });
        continue;
      }
      unknownKeys(s, ['ts', 'metrics'], path, issues);
      const ts = s.ts;
      if (typeof ts !== 'number' || !Number.isSafeInteger(ts) || ts <= 0)
        issues.push({ path: [...path, 'ts'], message: 'must be an integer (milliseconds since the epoch)' });
      else if (seen.has(ts)) issues.push({ path: [...path, 'ts'], message: 'duplicate timestamp in batch' });
      else seen.add(ts);
      if (!isObject(s.metrics)) issues.push({ path: [...path, 'metrics'], message: 'must be an object of metric name to value' });
      else for (const m of checkMetrics(s.metrics)) issues.push({ path: [...path, ...m.path], message: m.message });
    }
  }
  if (issues.length) return { ok: false, issues };
  const h = host as Record<string, unknown>;
  h.os ??= HOST_DEFAULTS.os;
  h.agentVersion ??= HOST_DEFAULTS.agentVersion;
  return { ok: true, data: input as unknown as CollectRequest };
}
