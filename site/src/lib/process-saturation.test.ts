import { describe, expect, it } from 'vitest';
import { processLines, processMetrics } from './process-saturation.ts';

const value = (metric: string) => ({ metric, unit: '1', labels: {}, value: 0.5, ts: 1 });

describe('the process metrics a service without a matched host charts', () => {
  it('takes process CPU and memory usage when sent, and them by default when nothing was', () => {
    expect(processMetrics({ process: [value('process.memory.usage'), value('process.cpu.utilization')] })).toEqual({
      cpu: { metric: 'process.cpu.utilization', unit: 'percent', scale: 100 },
      memory: { metric: 'process.memory.usage', unit: 'bytes', scale: 1 },
    });
    expect(processMetrics({ process: [] })).toEqual(processMetrics({ process: [value('process.cpu.utilization'), value('process.memory.usage')] }));
  });

  it('falls back to the utilization or system metric the service does send', () => {
    const m = processMetrics({ process: [value('system.cpu.utilization'), value('process.memory.utilization')] });
    expect(m.cpu.metric).toBe('system.cpu.utilization');
    expect(m.memory).toEqual({ metric: 'process.memory.utilization', unit: 'percent', scale: 100 });
  });

  it('draws one line per attribute set, named by its sorted labels, scaled and in time order', () => {
    const b = (ts: number, avg: number) => ({ ts, min: avg, avg, max: avg });
    const lines = processLines(
      {
        metric: 'process.cpu.utilization',
        series: [
          { labels: { state: 'user', 'process.pid': '7' }, points: [b(2000, 0.25), b(1000, 0.5)] },
          { labels: {}, points: [b(1000, 0.1)] },
        ],
      },
      100,
    );
    expect(lines).toEqual([
      { key: 'process.pid=7, state=user', points: [[1000, 50], [2000, 25]] },
      { key: 'process.cpu.utilization', points: [[1000, 10]] },
    ]);
  });
});
