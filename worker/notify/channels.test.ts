// A grouped notification names its most severe alert first (subject and text), so a mail filter
// on CRITICAL catches a page grouped with tickets (CI once saw a page hidden as "+4 more" behind
// a WARNING subject).
import { describe, expect, it } from 'vitest';
import type { AlertNotice } from '../../durable-objects/core/notify.ts';
import { buildRequest, type Channel } from './channels.ts';

const notice = (ruleName: string, severity: string, kind: AlertNotice['kind'] = 'firing'): AlertNotice => ({
  episodeId: ruleName, kind, ruleId: ruleName, ruleName, severity, metric: 'slo.burn', labels: {}, comparator: '>', threshold: 1, value: 2,
  startedAt: 0, resolvedAt: kind === 'resolved' ? 1 : null, channelIds: ['c1'],
});
const email: Channel = { id: 'c1', name: 'mail', type: 'email', config: { to: ['ops@example.test'] }, enabled: true };
const env = { RESEND_API_KEY: 're_test', RESEND_BASE_URL: 'http://mail.invalid' };

async function sent(notices: AlertNotice[]) {
  const { init } = await buildRequest(email, { tenantId: 't', service: { name: 'shop' }, notices }, env, 0);
  return JSON.parse(String(init.body)) as { subject: string; text: string };
}

describe('grouped notifications', () => {
  it('lead with the most severe firing alert; resolved ones last', async () => {
    const m = await sent([notice('resolved page', 'CRITICAL', 'resolved'), notice('ticket', 'WARNING'), notice('page', 'CRITICAL'), notice('note', 'INFO')]);
    expect(m.subject).toBe('[Pulse CRITICAL] page on service shop (+3 more)');
    const order = ['page', 'ticket', 'note', 'resolved page'].map((name) => m.text.split('\n').findIndex((l) => l.includes(` ${name} on `)));
    expect(order.every((i) => i > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it('keep the order of equally severe alerts', async () => {
    expect((await sent([notice('b', 'WARNING'), notice('a', 'WARNING')])).subject).toBe('[Pulse WARNING] b on service shop (+1 more)');
  });
});
