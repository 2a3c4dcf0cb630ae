// A small base in the style of partyserver: start-up runs once under blockConcurrencyWhile, so
// no request sees a half-loaded object, and objects are addressed by name only. The WebSocket
// events of live subscribers (hibernated or not) go to the object's LiveSubscribers.
import { DurableObject } from 'cloudflare:workers';
import type { LiveSubscribers } from './live-subscribers.ts';

export abstract class BaseObject<E = unknown> extends DurableObject<E> {
  /** Made in onStart by every object that has live subscribers. */
  protected subscribers!: LiveSubscribers;

  constructor(ctx: DurableObjectState, env: E) {
    super(ctx, env);
    void ctx.blockConcurrencyWhile(async () => {
      await this.onStart();
    });
  }

  protected abstract onStart(): void | Promise<void>;

  override webSocketMessage(ws: WebSocket, message: string | ArrayBuffer) {
    this.subscribers.onMessage(ws, message);
  }

  override webSocketClose(ws: WebSocket, code: number) {
    this.subscribers.onClose(ws, code);
  }

  override webSocketError(ws: WebSocket) {
    this.subscribers.drop(ws);
  }
}
