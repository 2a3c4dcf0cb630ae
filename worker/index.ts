import { createApp } from './app.ts';
import { runMaintenance } from './maintenance.ts';

export { HostObject } from '../durable-objects/host.ts';
export { ServiceObject } from '../durable-objects/service/service.ts';
export { LogTailObject } from '../durable-objects/log-tail.ts';
export { AlertFeedObject } from '../durable-objects/alert-feed.ts';
export { HostWatchObject } from '../durable-objects/host-watch.ts';

const app = createApp();

export default {
  fetch: app.fetch,
  async scheduled(controller, env, ctx) {
    ctx.waitUntil(runMaintenance(env, controller.scheduledTime));
  },
} satisfies ExportedHandler<Env>;
