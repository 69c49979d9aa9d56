/**
 * Building HostFacts from the raw section outputs: a pure function, so live
 * runs, recordings and tests all go through the same code. Each feature
 * (host/*.ts, containers.ts, multicast.ts, dhcp-discovery.ts) parses its own
 * sections; this only puts their parts together.
 */
import type { HostSpec, Inventory } from '../inventory/types.js';
import { parseContainerProbe } from './containers.js';
import { DHCP_DISCOVER_SECTION, DHCP_FDB_SECTION, dhcpDiscoveryFacts } from './dhcp-discovery.js';
import { bridgeFacts } from './host/bridge.js';
import { dhcpFacts } from './host/dhcp.js';
import { dnsFacts } from './host/dns.js';
import { linkFacts } from './host/links.js';
import { lxdFacts } from './host/lxd.js';
import { meshFacts } from './host/mesh.js';
import { overlayFacts } from './host/overlay/index.js';
import { processFacts } from './host/processes.js';
import { routeFacts } from './host/routes.js';
import { serviceFacts } from './host/services.js';
import { systemFacts } from './host/system.js';
import type { HostFacts } from './host-facts.js';
import { MULTICAST, MULTICAST_CONFIRM_SECTION, parseMulticast, withMulticastConfirm } from './multicast.js';
import { parseBridgeFdb } from './parsers/vxlan.js';
import type { ContainerProbe, GatherResult } from './types.js';

/** The container probe sections are `ct-N` (containers.ts containerSections). */
const CONTAINER_PROBE_PREFIX = 'ct-';

export function buildHostFacts(inv: Inventory, host: HostSpec, g: GatherResult): HostFacts {
  const raw = g.raw;
  const fdb = raw[DHCP_FDB_SECTION];
  const processes = processFacts(raw);
  return {
    host: host.name,
    reachable: g.reachable,
    ...(g.connectError ? { connectError: g.connectError } : {}),
    ...(g.connectErrorKind ? { connectErrorKind: g.connectErrorKind } : {}),
    ...(g.execError ? { execError: g.execError } : {}),
    raw,
    // Each feature's part of HostFacts (host/*.ts): a field a feature adds needs no line here.
    ...systemFacts(raw),
    ...linkFacts(raw),
    ...routeFacts(raw),
    ...bridgeFacts(raw, inv),
    ...processes,
    ...overlayFacts(inv, host, raw),
    ...serviceFacts(raw),
    ...dhcpFacts(raw),
    ...lxdFacts(inv, host, raw, processes.processes),
    ...meshFacts(raw),
    ...dnsFacts(raw),
    // Stage two and later, whose features (containers.ts, multicast.ts, dhcp-discovery.ts) parse their own.
    containerProbes: Object.entries(raw)
      .filter(([name]) => name.startsWith(CONTAINER_PROBE_PREFIX))
      .map(([name, r]) => parseContainerProbe(name, r))
      .filter((p): p is ContainerProbe => p !== null),
    multicast: withMulticastConfirm(
      parseMulticast(raw[MULTICAST]),
      parseMulticast(raw[MULTICAST_CONFIRM_SECTION]),
    ),
    dhcpDiscovery: dhcpDiscoveryFacts(raw[DHCP_DISCOVER_SECTION]),
    dhcpFdb: fdb?.exitCode === 0 ? parseBridgeFdb(fdb.stdout) : null,
  };
}
