import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseConfigFile, parseDuration, parseSize } from '../config.ts';

const specFile = fileURLToPath(new URL('./fixtures/config/collector-config.yaml', import.meta.url));
const errorOf = (text: string) => {
  try {
    parseConfigFile(text, 'agent.yaml', {});
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error('expected a ConfigError');
};

describe('durations and sizes', () => {
  it('parses units and bare numbers', () => {
    expect(parseDuration('5s')).toBe(5000);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('1m')).toBe(60000);
    expect(parseDuration(2)).toBe(2000);
    expect(parseDuration('soon')).toBeUndefined();
    expect(parseSize('10MB')).toBe(10_000_000);
    expect(parseSize('1GiB')).toBe(1024 ** 3);
    expect(parseSize('12 parsecs')).toBeUndefined();
  });
});

describe('the spec §7.2 file', () => {
  it('loads with ${ENV} expansion and defaults', () => {
    const c = loadConfig({ file: specFile, env: { API_KEY: 'ik_from_env', HOME: '/home/x' } });
    expect(c.intervalMs).toBe(10_000);
    expect(c.serverUrl).toBe('https://monitoring.example.com');
    expect(c.apiKey).toBe('ik_from_env');
    expect(c.metrics.cpu).toEqual({ enabled: true, perCpu: false });
    expect(c.metrics.disk.excludeDevices).toEqual(['tmpfs', 'devtmpfs']);
    expect(c.metrics.disk.usageIntervalMs).toBe(30_000);
    expect(c.metrics.network.interfaces).toEqual(['eth0', 'eth1']);
    expect(c.logging).toEqual({ level: 'WARNING', file: '/var/log/collector.log' });
    expect(c.spool.maxBytes).toBe(10_000_000);
  });

  it('lets env vars override the file and flags override env vars', () => {
    const env = { API_KEY: 'file', PULSE_API_KEY: 'env', PULSE_INTERVAL: '30s', PULSE_LOG_LEVEL: 'debug', HOME: '/h' };
    const c = loadConfig({ file: specFile, env, flags: { key: 'flag', noSpool: true } });
    expect(c.apiKey).toBe('flag');
    expect(c.intervalMs).toBe(30_000);
    expect(c.logging.level).toBe('DEBUG');
    expect(c.spool.dir).toBeNull();
  });

  it('reads the file named by PULSE_CONFIG', () => {
    expect(loadConfig({ env: { PULSE_CONFIG: specFile, HOME: '/h' } }).intervalMs).toBe(10_000);
  });
});

describe('errors name the key and the line', () => {
  it('for a wrong type', () => {
    expect(errorOf('collector:\n  interval: 5s\nmetrics:\n  cpu:\n    per_cpu: "yes"\n')).toBe('agent.yaml:5: metrics.cpu.per_cpu: Invalid input: expected boolean, received string');
  });

  it('for an unknown key (usually a typo)', () => {
    expect(errorOf('collector:\n  interval: 5s\n  intreval: 10s\n')).toBe('agent.yaml:3: collector.intreval: unknown key');
  });

  it('for a bad duration and a bad level', () => {
    const msg = errorOf('collector:\n  interval: 50ms\nlogging:\n  level: LOUD\n');
    expect(msg).toContain('agent.yaml:2: collector.interval: expected a duration between 1s and 3600s');
    expect(msg).toContain('agent.yaml:4: logging.level: expected one of DEBUG');
  });

  it('for broken YAML', () => {
    expect(errorOf('collector:\n  interval: 5s\n\tserver_url: x\n')).toBe('agent.yaml:3: invalid YAML: Tabs are not allowed as indentation');
    expect(errorOf('collector:\n  interval: 5s\ncollector:\n  interval: 6s\n')).toBe('agent.yaml:3: invalid YAML: Map keys must be unique');
  });

  it('for a missing file and a bad server URL', () => {
    expect(() => loadConfig({ file: '/nonexistent/agent.yaml', env: {} })).toThrow(/cannot read config file \/nonexistent\/agent.yaml/);
    expect(() => loadConfig({ env: { PULSE_SERVER_URL: 'example.com' } })).toThrow(/must start with http/);
    expect(() => loadConfig({ env: {}, flags: { interval: 'often' } })).toThrow(/interval/);
  });
});
