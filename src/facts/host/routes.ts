/** routes: the main IPv4 routing table. */
import type { HostFacts } from '../host-facts.js';
import { okOutput } from '../host-facts.js';
import { parseIpRouteJson } from '../parsers/ip.js';
import type { Section } from '../script.js';
import type { RawOutput } from '../types.js';

export const ROUTES = 'routes';

export function routeSections(): Section[] {
  return [{ name: ROUTES, shell: 'ip -j -4 route show table main', timeoutSeconds: 5 }];
}

export function routeFacts(raw: Record<string, RawOutput>): Pick<HostFacts, 'routes'> {
  const out = okOutput(raw, ROUTES);
  return { routes: out !== null ? parseIpRouteJson(out) : null };
}
