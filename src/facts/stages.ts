/**
 * The gather stages of a read-only run. Stage one reads everything a host
 * can tell about itself; stage two asks questions that need stage one's
 * answers (which names the one dnsmasq should know).
 */
import type { Stage } from '../engine/run.js';
import type { Inventory } from '../inventory/types.js';
import { dnsProbeShell } from './dns.js';
import type { HostFacts } from './host-facts.js';
import { hostSections } from './sections.js';

/** A name no lease can have: the one dnsmasq must answer it (NXDOMAIN) if it serves the domain. */
export function absentName(inv: Inventory): string {
  return `lxdcheck-absent-probe.${inv.cluster.domain}`;
}

/** Up to three names the one dnsmasq has leased, to query from every host. */
export function knownNames(inv: Inventory, facts: ReadonlyMap<string, HostFacts>): string[] {
  const dhcp = facts.get(inv.cluster.dhcp);
  const names = new Set<string>();
  for (const file of dhcp?.leases ?? []) {
    for (const l of file.leases) if (l.hostname) names.add(`${l.hostname}.${inv.cluster.domain}`);
  }
  return [...names].sort().slice(0, 3);
}

export const hostStage: Stage = { name: 'host', sections: (inv, host) => hostSections(inv, host) };

export const dnsStage: Stage = {
  name: 'dns',
  sections(inv, _host, facts) {
    const server = inv.hosts.find((h) => h.name === inv.cluster.dhcp)?.bridgeAddress;
    if (!server) return [];
    const names = [...knownNames(inv, facts), absentName(inv)];
    return [
      { name: 'dns-probe', shell: dnsProbeShell(server, names), timeoutSeconds: 10, wrapTimeout: false },
    ];
  },
};

export const readOnlyStages: Stage[] = [hostStage, dnsStage];
