/**
 * The gather stages of a read-only run. Stage one reads everything a host
 * can tell about itself; stage two asks questions that need stage one's
 * answers (which names the one dnsmasq should know, which containers run
 * where, which host can see the one dnsmasq to ask the L2 who serves
 * DHCP); stage three reads every bridge's FDB once that DHCP discovery's
 * window is over (where each server's MAC was learned); stage four is the
 * multicast mesh, which needs to know which containers have python3.
 */
import { randomBytes } from 'node:crypto';
import type { Stage } from '../engine/run.js';
import type { Inventory } from '../inventory/types.js';
import { quoteArg } from '../transport/quote.js';
import { containerSections } from './containers.js';
import { dhcpDiscoverySections, dhcpFdbSections } from './dhcp-discovery.js';
import { DNS_DEAD_SERVER_SECONDS, DNS_DEADLINE_SECONDS, dnsProbeShell } from './dns.js';
import type { HostFacts } from './host-facts.js';
import {
  DEFAULT_MULTICAST,
  MULTICAST_CONFIRM,
  type MulticastOptions,
  multicastConfirmSections,
  multicastSections,
} from './multicast.js';
import { overlayAddressUsable } from './overlay-address.js';
import { hostSections, meshPeers, pingSection } from './sections.js';

/** A name no lease can have: the one dnsmasq must answer it (NXDOMAIN) if it serves the domain. */
export function absentName(inv: Inventory): string {
  return `lxdcheck-absent-probe.${inv.cluster.domain}`;
}

/** Up to three names the one dnsmasq has leased, to query from every host. */
export function knownNames(inv: Inventory, facts: ReadonlyMap<string, HostFacts>): string[] {
  const dhcp = facts.get(inv.cluster.dhcp);
  const names = new Set<string>();
  for (const file of dhcp?.leases ?? []) {
    // A lease hostname is whatever a DHCP client sent: only plain DNS labels become query operands.
    for (const l of file.leases)
      if (l.hostname && /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(l.hostname))
        names.add(`${l.hostname}.${inv.cluster.domain}`);
  }
  return [...names].sort().slice(0, 3);
}

/** Where a dnsmasq log may be read from: log folders only, never an arbitrary file. */
const LOG_PATH = /^\/var\/(?:log|snap\/lxd\/common\/lxd\/logs)\/(?:[A-Za-z0-9._-]+\/)*[A-Za-z0-9._-]+$/;

/** Folders a dnsmasq executable is installed in (a copy elsewhere is not trusted with a file read). */
const SYSTEM_EXE =
  /^\/(?:usr\/(?:local\/)?s?bin|s?bin|snap\/lxd\/[^/]+\/bin|snap\/incus\/[^/]+\/bin)\/dnsmasq(?: \(deleted\))?$/;

/**
 * The one dnsmasq's log file, from its command line (--log-facility=FILE),
 * when it logs to a file: only for a process whose executable is a system
 * dnsmasq, and only a plain path in a log folder (no `..`). The host checks
 * again before reading (dnsmasqLogShell).
 */
export function dnsmasqLogFile(facts: HostFacts | undefined): { pid: number; path: string } | null {
  for (const d of facts?.dnsmasq ?? []) {
    if (d.exe !== undefined && !SYSTEM_EXE.test(d.exe)) continue;
    const m = /(?:^|\s)--log-facility[= ](\/\S+)/.exec(d.args);
    const path = m?.[1];
    if (path && LOG_PATH.test(path) && !path.split('/').includes('..')) return { pid: d.pid, path };
  }
  return null;
}

/**
 * Read the dnsmasq log only if PID still runs a dnsmasq executable and PATH is
 * a regular file that is not a symlink and resolves to itself.
 */
export function dnsmasqLogShell(pid: number, path: string): string {
  const l = quoteArg(path);
  return [
    `e=$(readlink /proc/${Math.trunc(pid)}/exe 2>/dev/null)`,
    `case "$e" in */dnsmasq|*/dnsmasq' (deleted)') ;; *) echo "lxdcheck: pid ${Math.trunc(pid)} is not a dnsmasq executable (\${e:-unreadable}); its log is not read" >&2; exit 3 ;; esac`,
    `if [ -f ${l} ] && [ ! -L ${l} ] && [ "$(readlink -f -- ${l})" = ${l} ]; then tail -n 20000 -- ${l}; else echo "lxdcheck: "${l}" is not a regular log file; not read" >&2; exit 3; fi`,
  ].join('; ');
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
    sections(inv, host, facts) {
      const sections = containerSections(inv, host, facts, o.sample);
      // Overlay addresses only where both ends can answer (stage one told which).
      if (overlayAddressUsable(inv, facts, host.name)) {
        const targets = meshPeers(inv, host.name)
          .filter((h) => h.overlayAddress && overlayAddressUsable(inv, facts, h.name))
          .map((h) => h.overlayAddress as string);
        if (targets.length > 0) sections.push(pingSection('mesh-overlay-ping', targets));
      }
      const server = inv.hosts.find((h) => h.name === inv.cluster.dhcp)?.bridgeAddress;
      if (server) {
        const names = [...knownNames(inv, facts), absentName(inv)];
        // Stage one's mesh pings (two rounds) already tell whether the server's address answers from here:
        // when it did not, the query only needs to confirm the silence, not wait out a slow server.
        const toServer = facts.get(host.name)?.mesh?.find((m) => m.target === server);
        const dead = toServer !== undefined && toServer.received === 0 && toServer.confirmRound !== undefined;
        sections.push({
          name: 'dns-probe',
          shell: dnsProbeShell(server, names, dead ? DNS_DEAD_SERVER_SECONDS : DNS_DEADLINE_SECONDS),
          timeoutSeconds: 10,
          wrapTimeout: false,
        });
      }
      const log = host.name === inv.cluster.dhcp ? dnsmasqLogFile(facts.get(host.name)) : null;
      if (log)
        sections.push({
          name: 'dnsmasq-log',
          shell: dnsmasqLogShell(log.pid, log.path),
          timeoutSeconds: 10,
          wrapTimeout: false,
        });
      // Who answers DHCP on the L2, asked from one host (a peer of the DHCP host where one can).
      if (o.dhcpDiscovery !== false) sections.push(...dhcpDiscoverySections(inv, host.name, facts));
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
  return {
    name: 'multicast',
    // The window itself plus the section's own margin: `--duration 10m` must not be cut by `--timeout 30s`.
    minTimeoutMs: (Math.ceil(o.durationSeconds) + 20) * 1000,
    sections: (inv, host, facts) => multicastSections(inv, host, facts, o),
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
    sections: (inv, host, facts) => multicastConfirmSections(inv, host, facts, confirm),
  };
}

export function readOnlyStages(o: StageOptions = {}): Stage[] {
  return [
    hostStage(o),
    probeStage(o),
    dhcpFdbStage,
    multicastStage(o.multicast),
    multicastConfirmStage(o.multicast),
  ];
}
