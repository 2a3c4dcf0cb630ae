import { describe, expect, it } from 'vitest';
import { hostStatus } from './status.ts';

const a = (metric: string, severity: string) => ({ metric, severity });

describe('hostStatus', () => {
  it('is ok with nothing firing, or only INFO alerts', () => {
    expect(hostStatus([])).toBe('ok');
    expect(hostStatus([a('custom.x', 'INFO')])).toBe('ok');
  });

  it('takes the highest severity firing, whatever the order', () => {
    expect(hostStatus([a('cpu.usage.total', 'WARNING'), a('custom.x', 'INFO')])).toBe('warning');
    expect(hostStatus([a('cpu.usage.total', 'WARNING'), a('memory.usage.percent', 'CRITICAL')])).toBe('critical');
    expect(hostStatus([a('memory.usage.percent', 'CRITICAL'), a('cpu.usage.total', 'WARNING')])).toBe('critical');
  });

  it('is down when the host-down rule fires, over any severity (even one configured as WARNING)', () => {
    expect(hostStatus([a('memory.usage.percent', 'CRITICAL'), a('host.up', 'WARNING')])).toBe('down');
    expect(hostStatus([a('host.up', 'CRITICAL')])).toBe('down');
  });
});
