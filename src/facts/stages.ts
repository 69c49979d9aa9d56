/**
 * The gather stages of a read-only run. Stage one reads everything a host
 * can tell about itself; stage two asks questions that need stage one's
 * answers (which names the one dnsmasq should know, which containers run
 * where, which host can see the one dnsmasq to ask the L2 who serves
 * DHCP); stage three reads every bridge's FDB once that DHCP discovery's
 * window is over (where each server's MAC was learned); stage four is the
 * multicast mesh, which needs to know which containers have python3.
 */
import type { Stage } from '../engine/run.js';
import type { Inventory } from '../inventory/types.js';
import { quoteArg } from '../transport/quote.js';
import { containerSections } from './containers.js';
import { dhcpDiscoverySections, dhcpFdbSections } from './dhcp-discovery.js';
import { dnsProbeShell } from './dns.js';
import type { HostFacts } from './host-facts.js';
import { DEFAULT_MULTICAST, type MulticastOptions, multicastSections } from './multicast.js';
import { overlayAddressUsable } from './overlay-address.js';
import { hostSections, pingSection } from './sections.js';

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

/** The one dnsmasq's log file, from its command line (--log-facility=FILE), when it logs to a file. */
export function dnsmasqLogFile(facts: HostFacts | undefined): string | null {
  for (const d of facts?.dnsmasq ?? []) {
    const m = /--log-facility[= ](\/\S+)/.exec(d.args);
    if (m?.[1]) return m[1];
  }
  return null;
}

export interface StageOptions {
  /** Targets per container (see containers.targetsFor). */
  sample?: number;
  multicast?: MulticastOptions;
}

export const hostStage: Stage = { name: 'host', sections: (inv, host) => hostSections(inv, host) };

/** Stage two: DNS from every host, and every running container's view from the inside. */
export function probeStage(o: StageOptions = {}): Stage {
  return {
    name: 'probe',
    sections(inv, host, facts) {
      const sections = containerSections(inv, host, facts, o.sample);
      // Overlay addresses only where both ends can answer (stage one told which).
      if (overlayAddressUsable(inv, facts, host.name)) {
        const targets = inv.hosts
          .filter((h) => h.name !== host.name && h.overlayAddress && overlayAddressUsable(inv, facts, h.name))
          .map((h) => h.overlayAddress as string);
        if (targets.length > 0) sections.push(pingSection('mesh-overlay-ping', targets));
      }
      const server = inv.hosts.find((h) => h.name === inv.cluster.dhcp)?.bridgeAddress;
      if (server) {
        const names = [...knownNames(inv, facts), absentName(inv)];
        sections.push({
          name: 'dns-probe',
          shell: dnsProbeShell(server, names),
          timeoutSeconds: 10,
          wrapTimeout: false,
        });
      }
      const log = host.name === inv.cluster.dhcp ? dnsmasqLogFile(facts.get(host.name)) : null;
      if (log)
        sections.push({ name: 'dnsmasq-log', shell: `tail -n 20000 ${quoteArg(log)}`, timeoutSeconds: 10 });
      // Who answers DHCP on the L2, asked from one host (a peer of the DHCP host where one can).
      sections.push(...dhcpDiscoverySections(inv, host.name, facts));
      return sections;
    },
  };
}

/** After the probe stage (so after the DHCP discovery's window): where each DHCP server's MAC was learned. */
export const dhcpFdbStage: Stage = {
  name: 'dhcp-fdb',
  sections: (inv, _host, facts) => dhcpFdbSections(inv, facts),
};

/** Stage four: the multicast mesh, every host at once. */
export function multicastStage(o: MulticastOptions = DEFAULT_MULTICAST): Stage {
  return { name: 'multicast', sections: (inv, host, facts) => multicastSections(inv, host, facts, o) };
}

export function readOnlyStages(o: StageOptions = {}): Stage[] {
  return [hostStage, probeStage(o), dhcpFdbStage, multicastStage(o.multicast)];
}
