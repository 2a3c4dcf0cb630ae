// What the local stack reads from `wrangler dev`'s own output.

const USER_WORKER_URL = /"userWorkerUrl":\{"protocol":"(https?:)","hostname":"([^"]+)","port":"(\d+)"\}/g;

/**
 * The address of the workerd that runs the worker, behind wrangler's dev proxy. wrangler names it
 * only in its debug log, in the proxy's `reloadComplete` message; the latest one wins (a reload
 * may move it). Null when the text has none.
 */
export function runtimeUrlFrom(log: string): string | null {
  let url: string | null = null;
  for (const m of log.matchAll(USER_WORKER_URL)) url = `${m[1]}//${m[2]}:${m[3]}`;
  return url;
}
