// A small base in the style of partyserver: start-up runs once under blockConcurrencyWhile, so
// no request sees a half-loaded object, and objects are addressed by name only.
import { DurableObject } from 'cloudflare:workers';

export abstract class BaseObject<E = unknown> extends DurableObject<E> {
  constructor(ctx: DurableObjectState, env: E) {
    super(ctx, env);
    void ctx.blockConcurrencyWhile(async () => {
      await this.onStart();
    });
  }

  protected abstract onStart(): void | Promise<void>;
}
