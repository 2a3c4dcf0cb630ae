// The capped lists in a service object's state: routes with their own signals (first seen first,
// APM_LIMITS.maxRoutesPerService; the rest count under OTHER_ROUTE) and the hosts seen.
import { APM_LIMITS, OTHER_ROUTE } from '../../protocol/apm.ts';

const MAX_HOSTS = 20;

/** The route an entry is counted under: its own while under the cap, else OTHER_ROUTE. A new one joins `set` and `routes`. */
export function capRoute(set: Set<string>, routes: string[], route: string): { route: string; added: boolean } {
  if (set.has(route)) return { route, added: false };
  if (set.size >= APM_LIMITS.maxRoutesPerService) return { route: OTHER_ROUTE, added: false };
  set.add(route);
  routes.push(route);
  return { route, added: true };
}

/** The same choice without adding the route (a span's, before its batch is stored). */
export function cappedRoute(set: ReadonlySet<string>, route: string): string {
  return set.has(route) || set.size < APM_LIMITS.maxRoutesPerService ? route : OTHER_ROUTE;
}

/** Adds the hosts not listed yet, up to MAX_HOSTS; true when any was added. */
export function addHosts(list: string[], hosts: readonly string[]): boolean {
  let added = false;
  for (const h of hosts) {
    if (list.includes(h) || list.length >= MAX_HOSTS) continue;
    list.push(h);
    added = true;
  }
  return added;
}
