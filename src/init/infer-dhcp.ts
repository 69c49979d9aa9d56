/**
 * DHCP and DNS: the one host whose dnsmasq serves DHCP on the bridge, its
 * range and domain (else LXD's or Incus's default domain); and the LXD client
 * the hosts answer with.
 */
import { isIPv4 } from '../inventory/ip.js';
import { type Findings, inNetwork, ipv4On, list, type Sourced, tally } from './infer-common.js';
import type { Observation } from './observe.js';

export interface DhcpInference {
  dhcp?: Sourced<string>;
  dhcpRange?: Sourced<string>;
  domain?: Sourced<string>;
}

export function inferDhcp(
  f: Findings,
  bridge: Sourced<string> | undefined,
  subnet: Sourced<string> | undefined,
): DhcpInference {
  const { observations, undecided, notes, hostOf } = f;
  const servers = observations.flatMap((o, i) =>
    o.dnsmasq
      .filter((d) => d.servesDhcp && servesBridge(d, o, bridge?.value))
      .map((d) => ({ host: hostOf(i), d })),
  );
  let dhcp: Sourced<string> | undefined;
  let dhcpRange: Sourced<string> | undefined;
  let domain: Sourced<string> | undefined;
  const serverHosts = [...new Set(servers.map((s) => s.host))];
  if (serverHosts.length === 1) {
    const s = servers[0]!;
    dhcp = {
      value: s.host,
      from: `the only dnsmasq serving DHCP on ${bridge?.value ?? 'the bridge'} (pid ${s.d.pid})`,
    };
    const range = rangeOf(s.d.dhcpRanges, subnet?.value);
    if (range) dhcpRange = { value: range, from: `dnsmasq --dhcp-range on ${s.host}` };
    if (s.d.domain) domain = { value: s.d.domain, from: `dnsmasq --domain on ${s.host}` };
    if (servers.length > 1)
      notes.push(`${s.host} runs ${servers.length} dnsmasq serving DHCP on ${bridge?.value}`);
  } else if (serverHosts.length === 0) {
    // Something else may answer DHCP (UDP 67): name it, it is the likely answer.
    const listeners = observations.flatMap((o, i) =>
      o.udp
        .filter((s) => s.port === 67)
        .map(
          (s) =>
            `${hostOf(i)} (${s.processes.map((p) => p.name).join(',') || 'unknown process'} on ${s.local}${s.device ? `%${s.device}` : ''})`,
        ),
    );
    undecided.push({
      field: 'cluster.dhcp',
      why: `no dnsmasq serves DHCP on ${bridge?.value ?? 'the bridge'} on any host (none has a --dhcp-range in ps)${
        listeners.length > 0
          ? `; UDP 67 is open on ${list([...new Set(listeners)])}`
          : '; containers get no addresses, or the DHCP server is elsewhere'
      }`,
    });
  } else {
    undecided.push({
      field: 'cluster.dhcp',
      why: `${serverHosts.length} hosts run a dnsmasq serving DHCP on ${bridge?.value ?? 'the bridge'}: ${list(
        servers.map((s) => `${s.host} (pid ${s.d.pid}, ${s.d.dhcpRanges.join(' ')})`),
      )}; exactly one may (lxdcheck run will report the second)`,
    });
    const domains = [...new Set(servers.map((s) => s.d.domain).filter((d) => d !== undefined))];
    if (domains.length === 1)
      domain = { value: domains[0]!, from: `dnsmasq --domain on ${list(serverHosts)}` };
  }
  if (!domain) {
    const legacy = observations.map((o) => o.lxdBridge?.values['LXD_DOMAIN']).find((d) => d);
    const managed = observations
      .flatMap((o) => o.lxdNetworks.filter((n) => n.name === bridge?.value && n.managed))
      .map((n) => n.config['dns.domain'])
      .find((d) => d);
    if (legacy) domain = { value: legacy, from: '/etc/default/lxd-bridge LXD_DOMAIN' };
    else if (managed) domain = { value: managed, from: `the managed network's dns.domain` };
    else {
      const owner = observations.find((o) =>
        o.lxdNetworks.some((n) => n.name === bridge?.value && n.managed),
      );
      // LXD's default dns.domain is lxd, Incus's is incus.
      if (owner?.lxdClient === 'incus')
        domain = { value: 'incus', from: "Incus's default dns.domain (the managed network sets none)" };
      else if (owner)
        domain = { value: 'lxd', from: "LXD's default dns.domain (the managed network sets none)" };
    }
    if (!domain)
      notes.push('no DNS domain found (dnsmasq --domain, LXD_DOMAIN, dns.domain); the default lxd applies');
  }
  const out: DhcpInference = {};
  if (dhcp) out.dhcp = dhcp;
  if (dhcpRange) out.dhcpRange = dhcpRange;
  if (domain) out.domain = domain;
  return out;
}

/** The LXD client (lxc or incus) the hosts answer with, else the daemon running. */
export function inferClient(f: Findings): Sourced<'lxc' | 'incus'> | undefined {
  const { observations, undecided, notes } = f;
  let lxd: Sourced<'lxc' | 'incus'> | undefined;
  const clients = tally(observations.map((o) => o.lxdClient).filter((c) => c !== undefined));
  const daemons = tally(observations.map((o) => o.daemon).filter((d) => d !== undefined));
  if (clients.length === 1) {
    const c = clients[0]!.value;
    lxd = {
      value: c,
      from: `${c} network list answers${daemons.length > 0 ? ` (${daemons[0]!.value} daemon running)` : ''}`,
    };
  } else if (clients.length > 1) {
    undecided.push({
      field: 'cluster.lxd',
      why: `hosts answer with different clients (${list(clients.map((c) => c.value))})`,
    });
  } else if (daemons.length > 0) {
    const d = daemons[0]!.value;
    lxd = {
      value: d === 'incus' ? 'incus' : 'lxc',
      from: `${d} daemon in ps (its client did not answer as this user)`,
    };
  } else {
    notes.push('no LXD or Incus daemon found: container checks will be skipped');
  }
  return lxd;
}

/** Whether this dnsmasq answers on the bridge: --interface names it, or it listens on the bridge's address, or it binds everything. */
function servesBridge(
  d: Observation['dnsmasq'][number],
  o: Observation,
  bridge: string | undefined,
): boolean {
  if (!bridge) return true;
  if (d.interfaces.includes(bridge)) return true;
  const mine = ipv4On(o, bridge).map((a) => a.local);
  if (d.listenAddresses.some((a) => mine.includes(a))) return true;
  return d.interfaces.length === 0 && d.listenAddresses.length === 0;
}

/** `first,last` from a --dhcp-range (`[tag:..,][set:..,]first,last[,mask][,lease]`). */
export function rangeOf(ranges: string[], subnet: string | undefined): string | undefined {
  for (const r of ranges) {
    const ips = r.split(',').filter((p) => isIPv4(p));
    const [first, last] = ips;
    if (!first || !last || (subnet && (!inNetwork(first, subnet) || !inNetwork(last, subnet)))) continue;
    return `${first},${last}`;
  }
  return undefined;
}
