import { describe, expect, it } from 'vitest';
import { labelsKey, parseLabelsKey, seriesKey, type Labels } from './series.ts';

describe('series keys', () => {
  it('are canonical whatever the label order', () => {
    expect(labelsKey({ b: '2', a: '1' })).toBe(labelsKey({ a: '1', b: '2' }));
    expect(labelsKey({ a: '1', b: '2' })).toBe('a="1",b="2"');
    expect(labelsKey({ core: '0' })).toBe('core="0"');
    expect(labelsKey({})).toBe('');
    expect(seriesKey('cpu.usage.total')).toBe('cpu.usage.total');
    expect(seriesKey('disk.usage.percent', { mount: '/' })).toBe('disk.usage.percent{mount="/"}');
  });

  it('round-trip values with quotes, commas and equals signs', () => {
    const cases: Labels[] = [
      { mount: '/mnt/a,b=c' },
      { path: 'say "hi"', code: '200' },
      {},
      // OpenTelemetry attribute keys (service custom series)
      { 'http.route': '/a,b="c"', 'process.cpu.state': 'user', 'k8s/pod-name': 'x=1' },
    ];
    for (const labels of cases) expect(parseLabelsKey(labelsKey(labels))).toEqual(labels);
  });
});
