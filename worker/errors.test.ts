import { describe, expect, it } from 'vitest';
import { redactParams } from './errors.ts';

describe('redactParams', () => {
  it("drops a failed query's parameters and keeps the statement and what follows", () => {
    const text = 'Error: Failed query: select * from "sessions" where "token_hash" = $1\nparams: 9c23982662,2026-12-02T01:46:44.407Z,1\n    at findSession (session.ts:61:15)';
    expect(redactParams(text)).toBe('Error: Failed query: select * from "sessions" where "token_hash" = $1\nparams: (redacted)\n    at findSession (session.ts:61:15)');
  });
  it('leaves other errors alone', () => {
    expect(redactParams('TypeError: x is undefined')).toBe('TypeError: x is undefined');
  });
});
