// The role matrix, route by route: for every operation of the API and every role and key scope,
// the request is refused with 403 exactly when protocol/roles.ts says so (issue #5). Requests
// carry no valid body or a nonexistent id, so an allowed call stops at validation or 404 and
// nothing is written.
import { describe, expect, it } from 'vitest';
import { PERMISSIONS, ROLES, roleCan, SCOPES, scopeCan, type Permission } from '../../protocol/roles.ts';
import { fill, listOps } from '../../test/openapi-ops.ts';
import { Browser, lastEmailTo, newEmail, signUp } from '../../test/session.ts';

async function member(owner: Browser, role: (typeof ROLES)[number]) {
  if (role === 'owner') return owner;
  const email = newEmail(`matrix-${role}`);
  await owner.call('POST', '/api/v1/invitations', { email, role });
  const mail = await lastEmailTo(email, /invited/);
  const b = await signUp(email);
  await b.call('POST', '/api/v1/invitations/accept', { token: mail.token });
  return b;
}

describe('the permission matrix covers every route', () => {
  it('every operation declares a permission, public or session', async () => {
    const ops = await listOps();
    expect(ops.length).toBeGreaterThan(30);
    const known = new Set<string>([...PERMISSIONS, 'public', 'session']);
    for (const op of ops) expect(known.has(op.permission), `${op.method} ${op.path} has x-permission "${op.permission}"`).toBe(true);
  });

  it('every route x every role and key scope: 403 exactly when the matrix says no', async () => {
    // Logout ends the session the later calls use, so it runs last.
    const isLogout = (o: { path: string }) => o.path === '/api/v1/auth/logout';
    const all = (await listOps()).filter((o) => o.permission !== 'public');
    const ops = [...all.filter((o) => !isLogout(o)), ...all.filter(isLogout)];
    const owner = await signUp(undefined, 'Matrix Org');
    const browsers = Object.fromEntries(await Promise.all(ROLES.map(async (r) => [r, await member(owner, r)] as const)));
    const keys: Record<string, string> = {};
    for (const s of SCOPES) keys[s] = (await owner.call('POST', '/api/v1/keys', { name: `matrix ${s}`, scope: s })).body.key;
    // Both branches must be exercised, or the loop proves nothing: count refusals per role.
    const refused: Record<string, number> = Object.fromEntries(ROLES.map((r) => [r, 0]));
    for (const op of ops) {
      // A well-formed trace id, so allowed calls reach the lookup (and answer 404).
      const path = fill(op.path, { traceId: '0af7651916cd43dd8448eb211c80319c' });
      const body = op.hasBody ? {} : undefined;
      for (const role of ROLES) {
        const r = await browsers[role]!.call(op.method, path, body);
        const allowed = op.permission === 'session' || roleCan(role, op.permission as Permission);
        if (r.status === 403) refused[role]!++;
        if (allowed) expect([401, 403], `${op.method} ${op.path} as ${role} → ${r.status} ${JSON.stringify(r.body)}`).not.toContain(r.status);
        else expect(r.status, `${op.method} ${op.path} as ${role}`).toBe(403);
      }
      for (const scope of SCOPES) {
        const r = await new Browser().call(op.method, path, body, { authorization: `Bearer ${keys[scope]}` });
        const allowed = op.permission !== 'session' && scopeCan(scope, op.permission as Permission);
        if (allowed) expect([401, 403], `${op.method} ${op.path} with ${scope} key → ${r.status} ${JSON.stringify(r.body)}`).not.toContain(r.status);
        else expect(r.status, `${op.method} ${op.path} with ${scope} key`).toBe(403);
      }
      // No credentials at all: 401 for everything that is not public.
      expect((await new Browser().call(op.method, path, body)).status, `${op.method} ${op.path} anonymous`).toBe(401);
    }
    // Every role is allowed something and the lower a role, the more it is refused (owner and
    // admin differ only inside the member routes, where owners:write is checked per request).
    for (const role of ROLES) expect(refused[role], role).toBeLessThan(ops.length);
    expect(refused.viewer!).toBeGreaterThan(refused.editor!);
    expect(refused.editor!).toBeGreaterThan(refused.admin!);
    expect(refused.admin!).toBeGreaterThanOrEqual(refused.owner!);
  }, 120_000);
});
