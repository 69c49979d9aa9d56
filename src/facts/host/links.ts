/** links: every interface (`ip -d link`, with bridge/vxlan/tun details) and its addresses. */
import type { HostFacts } from '../host-facts.js';
import { okOutput } from '../host-facts.js';
import { parseIpAddrJson, parseIpLinkJson } from '../parsers/ip.js';
import type { Section } from '../script.js';
import type { RawOutput } from '../types.js';

export const LINKS = 'links';
export const ADDRS = 'addrs';

export function linkSections(): Section[] {
  return [
    { name: LINKS, shell: 'ip -j -d link show', timeoutSeconds: 5 },
    { name: ADDRS, shell: 'ip -j addr show', timeoutSeconds: 5 },
  ];
}

export function linkFacts(raw: Record<string, RawOutput>): Pick<HostFacts, 'links' | 'addresses'> {
  const links = okOutput(raw, LINKS);
  const addrs = okOutput(raw, ADDRS);
  return {
    links: links !== null ? parseIpLinkJson(links) : null,
    addresses: addrs !== null ? parseIpAddrJson(addrs) : null,
  };
}
