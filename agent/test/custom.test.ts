import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkMetrics, CUSTOM_NAME, Sample } from '../../protocol/index.ts';
import { customCollectors, execCollector, prometheusCollector } from '../collectors/custom.ts';
import { parseConfigFile } from '../config.ts';
import { parsePrometheus, toCustomMetrics } from '../prom.ts';
import { Runner } from '../runner.ts';

const text = readFileSync(fileURLToPath(new URL('./fixtures/prometheus/metrics.txt', import.meta.url)), 'utf8');
const ctx = { now: 1_700_000_000_000, mono: 0, procRoot: '/proc', sysRoot: '/sys', rootFs: '' };

describe('parsePrometheus', () => {
  const r = parsePrometheus(text);
  const find = (name: string, labels: Record<string, string> = {}) => r.samples.find((s) => s.name === name && JSON.stringify(s.labels) === JSON.stringify(labels));

  it('reads values, labels, escapes, Go number spellings and ignores timestamps', () => {
    expect(find('node_load1')?.value).toBe(0.42);
    expect(find('http_requests_total', { method: 'post', code: '200' })?.value).toBe(1027);
    expect(find('http_requests_total', { method: 'post', code: '400' })?.value).toBe(3);
    expect(find('http_requests_total', { method: 'get', code: '200' })?.value).toBe(9500); // trailing comma, space
    expect(find('msdos_file_access_time_seconds')).toBeUndefined();
    const ms = r.samples.find((s) => s.name === 'msdos_file_access_time_seconds')!;
    expect(ms.labels).toEqual({ path: 'C:\\DIR\\FILE.TXT', error: 'Cannot find file:\n"FILE.TXT"' });
    expect(ms.value).toBe(1.458255915e9);
    expect(find('something_weird', { problem: 'division by zero' })?.value).toBe(Infinity);
    expect(Number.isNaN(find('not_a_number')?.value)).toBe(true);
    expect(find('http_request_duration_seconds_bucket', { le: '+Inf' })?.value).toBe(144320);
    expect(find('rpc_duration_seconds_sum')?.value).toBe(1.7560473e7);
    expect(find('app:requests:rate5m', { job: 'api' })?.value).toBe(12.5);
  });

  it('keeps TYPE lines and reports bad lines by number without losing the rest', () => {
    expect(r.types.get('http_requests_total')).toBe('counter');
    expect(r.types.get('http_request_duration_seconds')).toBe('histogram');
    expect(r.errors.map((e) => e.line)).toEqual([30, 31]); // the two broken lines at the end
    expect(r.samples).toHaveLength(20);
  });
});

describe('toCustomMetrics', () => {
  it('maps onto custom.* metrics the wire accepts, skipping what it would refuse', () => {
    const { metrics, skipped } = toCustomMetrics(parsePrometheus(text).samples, 500);
    expect(metrics['custom.node_load1']).toBe(0.42);
    expect(metrics['custom.http_requests_total']).toHaveLength(3);
    expect(metrics['custom.eight_labels']).toEqual([{ labels: { a: '1', b: '2', c: '3', d: '4', e: '5', f: '6', g: '7', h: '8' }, value: 8 }]);
    // +Inf, NaN, nine labels and the repeated series are skipped, never bent into something else.
    expect(metrics['custom.something_weird']).toBeUndefined();
    expect(metrics['custom.not_a_number']).toBeUndefined();
    expect(metrics['custom.too_many_labels']).toBeUndefined();
    expect(metrics['custom.dup_series']).toEqual([{ labels: { x: '1' }, value: 1 }]);
    expect(skipped).toBe(4);
    for (const name of Object.keys(metrics)) expect(name).toMatch(CUSTOM_NAME);
    expect(checkMetrics(metrics)).toEqual([]);
    expect(Sample.safeParse({ ts: 1, metrics }).success).toBe(true);
  });

  it('mixes unlabelled and labelled values of one family, and caps the series count', () => {
    const { metrics } = toCustomMetrics([{ name: 'q', labels: {}, value: 1 }, { name: 'q', labels: { a: 'x' }, value: 2 }], 10);
    expect(metrics['custom.q']).toEqual([{ labels: {}, value: 1 }, { labels: { a: 'x' }, value: 2 }]);
    expect(checkMetrics(metrics)).toEqual([]);
    const many = Array.from({ length: 50 }, (_, i) => ({ name: 'm', labels: { i: String(i) }, value: i }));
    const capped = toCustomMetrics(many, 20);
    expect(capped.metrics['custom.m']).toHaveLength(20);
    expect(capped.skipped).toBe(30);
  });
});

describe('custom collectors', () => {
  it('scrapes a Prometheus endpoint over loopback', async () => {
    const server = createServer((req, res) => res.writeHead(req.url === '/metrics' ? 200 : 404, { 'content-type': 'text/plain; version=0.0.4' }).end(req.url === '/metrics' ? text : 'nope'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const m = await prometheusCollector(`${base}/metrics`, { timeoutMs: 1000, maxSeries: 500 }).collect(ctx);
      expect(m['custom.http_requests_total']).toHaveLength(3);
      await expect(prometheusCollector(`${base}/missing`, { timeoutMs: 1000, maxSeries: 500 }).collect(ctx)).rejects.toThrow('HTTP 404');
    } finally {
      server.close();
    }
  });

  it('runs exec plugins (shell string or argv) and reports failures, bad output and hangs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulse-plugin-'));
    const plugin = join(dir, 'plugin.sh');
    writeFileSync(plugin, '#!/bin/sh\necho "# TYPE queue_depth gauge"\necho "queue_depth{queue=\\"$1\\"} 7"\n');
    chmodSync(plugin, 0o755);
    const s = { timeoutMs: 500, maxSeries: 100 };
    expect(await execCollector([plugin, 'mail'], s).collect(ctx)).toEqual({ 'custom.queue_depth': [{ labels: { queue: 'mail' }, value: 7 }] });
    expect(await execCollector('echo up 1; echo jobs_total 3', s).collect(ctx)).toEqual({ 'custom.up': 1, 'custom.jobs_total': 3 });
    await expect(execCollector('echo oops >&2; exit 3', s).collect(ctx)).rejects.toThrow('plugin exited with 3: oops');
    await expect(execCollector('echo "this is not { metrics"', s).collect(ctx)).rejects.toThrow('not Prometheus text format');
    await expect(execCollector('sleep 5', s).collect(ctx)).rejects.toThrow('timed out after 500 ms');
    await expect(execCollector([join(dir, 'missing')], s).collect(ctx)).rejects.toThrow('ENOENT');
  });

  it('run beside the host collectors: a failing plugin costs only its own metrics', async () => {
    const cols = customCollectors({ prometheus: [], exec: ['echo custom_ok 1', 'exit 1'], timeoutMs: 500, maxSeries: 10 });
    const { sample, results } = await new Runner(cols).collect();
    expect(sample.metrics['custom.custom_ok']).toBe(1);
    expect(results.map((r) => [r.name, r.ok])).toEqual([['custom:exec:echo custom_ok 1', true], ['custom:exec:exit 1', false]]);
    expect(Sample.safeParse(sample).success).toBe(true);
  });

  it('are configured in the custom section of the config file', () => {
    const f = parseConfigFile('custom:\n  prometheus: [http://127.0.0.1:9100/metrics]\n  exec: ["/usr/local/bin/p --x", [/bin/echo, a]]\n  timeout: 800ms\n  max_series: 50\n', 'c.yaml', {});
    expect(f.custom).toEqual({ prometheus: ['http://127.0.0.1:9100/metrics'], exec: ['/usr/local/bin/p --x', ['/bin/echo', 'a']], timeout: 800, max_series: 50 });
    expect(() => parseConfigFile('custom:\n  prometheus: [localhost:9100]\n', 'c.yaml', {})).toThrow('c.yaml:2: custom.prometheus.0: expected an http:// or https:// URL');
  });
});
