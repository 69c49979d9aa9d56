/**
 * The gather stages of a read-only run. Stage one reads everything a host
 * can tell about itself; stage two asks questions that need stage one's
 * answers (which names the one dnsmasq should know, which containers run
 * where, which host can see the one dnsmasq to ask the L2 who serves
 * DHCP); stage three reads every bridge's FDB once that DHCP discovery's
 * window is over (where each server's MAC was learned); stage four is the
 * multicast mesh, which needs to know which containers have python3. With
 * containers on two or more hosts the discovery moves to stage four, beside
 * the multicast window, and the FDB is read in stage five.
 */
import { randomBytes } from 'node:crypto';
import type { HostSpec, Inventory } from '../inventory/types.js';
import { containerSections } from './containers.js';
import { daemonFollowUps, daemonSwitched } from './daemon.js';
import {
  deferredDhcpDiscoverySections,
  dhcpDiscoverySections,
  dhcpFdbSections,
  discoveryWithMulticast,
} from './dhcp-discovery.js';
import { dnsmasqLogSections } from './host/dhcp.js';
import { dnsProbeSections } from './host/dns.js';
import { meshOverlaySections } from './host/mesh.js';
import type { HostFacts } from './host-facts.js';
import {
  DEFAULT_MULTICAST,
  MULTICAST_CONFIRM,
  type MulticastOptions,
  multicastConfirmSections,
  multicastSections,
} from './multicast.js';
import type { Section } from './script.js';
import { hostSections } from './sections.js';

/** A gather stage: sections per host, computed from the inventory and the facts so far. */
export interface Stage {
  name: string;
  /** A floor for this stage's bound (the multicast window may be longer than --timeout). */
  minTimeoutMs?: number;
  sections(inv: Inventory, host: HostSpec, facts: ReadonlyMap<string, HostFacts>): Section[];
}

export interface StageOptions {
  /** Targets per container (see containers.targetsFor). */
  sample?: number;
  multicast?: MulticastOptions;
  /** The run's key for keyed fingerprints (sections.ts SectionOptions.runKey); fresh when absent. */
  runKey?: string;
  /**
   * Ask the L2 who answers DHCP (default true). It listens 0.5 s once the question is settled, up to
   * 4 s while a server may still answer (dhcp-discovery.ts); `--no-dhcp-discovery` trades it for the
   * process-list view alone.
   */
  dhcpDiscovery?: boolean;
  /**
   * A multicast stage follows the probe stage (readOnlyStages): with containers on two or more
   * hosts the discovery runs there, its window overlapping the multicast window.
   */
  multicastDiscovery?: boolean;
}

/** 256 random bits as hex: the key of one run's fingerprints, never written anywhere. */
export function newRunKey(): string {
  return randomBytes(32).toString('hex');
}

/** Stage one, with one key for every host of the run (so their fingerprints compare). */
export function hostStage(o: StageOptions = {}): Stage {
  const runKey = o.runKey ?? newRunKey();
  return { name: 'host', sections: (inv, host) => hostSections(inv, host, { runKey }) };
}

/** Stage two: DNS from every host, and every running container's view from the inside. */
export function probeStage(o: StageOptions = {}): Stage {
  return {
    name: 'probe',
    sections: (inv, host, facts) => [
      ...containerSections(inv, host, facts, o.sample),
      // LXD or Incus: the other daemon's list when stage one left a doubt (facts/daemon.ts).
      ...daemonFollowUps(inv, host, facts.get(host.name)),
      ...meshOverlaySections(inv, host, facts),
      ...dnsProbeSections(inv, host, facts),
      ...dnsmasqLogSections(inv, host, facts),
      // Who answers DHCP on the L2, asked from one host (a peer of the DHCP host where one can); in the
      // multicast stage instead when that stage follows (multicastDiscovery) and will likely run.
      ...(o.dhcpDiscovery !== false && !(o.multicastDiscovery && discoveryWithMulticast(inv, facts))
        ? dhcpDiscoverySections(inv, host.name, facts)
        : []),
    ],
  };
}

/** After the probe stage (so after the DHCP discovery's window): where each DHCP server's MAC was learned. */
export const dhcpFdbStage: Stage = {
  name: 'dhcp-fdb',
  sections: (inv, host, facts) => [
    ...dhcpFdbSections(inv, facts),
    // A host judged by the other daemon only in stage two (daemon.ts): its containers' probes run now.
    ...(daemonSwitched(facts.get(host.name)) ? containerSections(inv, host, facts) : []),
  ],
};

/** Stage four: the multicast mesh, every host at once (and the DHCP discovery the probe stage left for it). */
export function multicastStage(o: MulticastOptions = DEFAULT_MULTICAST, discovery = false): Stage {
  return {
    name: 'multicast',
    // The window itself plus the section's own margin: `--duration 10m` must not be cut by `--timeout 30s`.
    minTimeoutMs: (Math.ceil(o.durationSeconds) + 20) * 1000,
    sections: (inv, host, facts) => [
      ...multicastSections(inv, host, facts, o),
      // Its own group (dhcp-discovery.ts), so it runs beside the host's multicast section, not after it.
      ...(discovery ? deferredDhcpDiscoverySections(inv, host.name, facts) : []),
    ],
  };
}

/**
 * Stage five: a short second multicast window, only on the hosts of pairs that got nothing in the
 * first (none on a healthy cluster, so no round trip there).
 */
export function multicastConfirmStage(o: MulticastOptions = DEFAULT_MULTICAST): Stage {
  const confirm: MulticastOptions = {
    ...o,
    durationSeconds: MULTICAST_CONFIRM.durationSeconds,
    count: MULTICAST_CONFIRM.count,
  };
  return {
    name: 'multicast-confirm',
    minTimeoutMs: (Math.ceil(confirm.durationSeconds) + 20) * 1000,
    sections: (inv, host, facts) => [
      ...multicastConfirmSections(inv, host, facts, confirm),
      // The FDB after a discovery that ran in the multicast stage (nothing when stage three read it).
      ...dhcpFdbSections(inv, facts),
    ],
  };
}

export function readOnlyStages(o: StageOptions = {}): Stage[] {
  const discovery = o.dhcpDiscovery !== false;
  return [
    hostStage(o),
    probeStage({ ...o, multicastDiscovery: true }),
    dhcpFdbStage,
    multicastStage(o.multicast, discovery),
    multicastConfirmStage(o.multicast),
  ];
}
