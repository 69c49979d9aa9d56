/** dhcp.* and dns.*: exactly one dnsmasq on the whole L2, and it answers for the domain from everywhere. */
import { Netmask } from 'netmask';
import {
  DHCP_DISCOVER_SECTION,
  type DhcpServerOwner,
  type DhcpServerSeen,
  ownerOf,
  serversSeen,
} from '../facts/dhcp-discovery.js';
import { absentName, DNS_PROBE } from '../facts/host/dns.js';
import { PS } from '../facts/host/processes.js';
import { type HostFacts, overloadNote } from '../facts/host-facts.js';
import type { DhcpDiscovery, DhcpReply, DnsmasqInstance } from '../facts/types.js';
import type { Inventory } from '../inventory/types.js';
import type { Evidence } from '../model.js';
import { quoteArg } from '../transport/quote.js';
import { type CheckDef, factsOf, fail, hostSpec, type JudgeContext, pass, skip, warn } from './check.js';
import { sectionEvidence, unreadable } from './util.js';

/** A dnsmasq that serves DHCP on the cluster bridge (or on every interface). */
function dhcpServersOnBridge(f: HostFacts, bridge: string): DnsmasqInstance[] {
  return f.dnsmasq.filter(
    (d) => d.servesDhcp && (d.interfaces.length === 0 || d.interfaces.includes(bridge)),
  );
}

/** Processes bound to UDP 67 (any DHCP server, not only dnsmasq). */
function port67(f: HostFacts): string[] {
  return (f.udpSockets ?? [])
    .filter((s) => s.port === 67)
    .map(
      (s) =>
        `${s.local}:67 ${s.processes.map((p) => `${p.name}[${p.pid}]`).join(',') || '(process unknown)'}`,
    );
}

function stopSecondDhcp(inv: Inventory, f: HostFacts, d: DnsmasqInstance | undefined): string[] {
  const br = inv.cluster.bridge;
  const fix: string[] = [];
  if (d) fix.push(`kill ${d.pid}   # on ${f.host}: the stray dnsmasq`);
  if (f.lxdNetwork?.managed)
    fix.push(`lxc network set ${br} ipv4.dhcp false && lxc network set ${br} dns.mode none   # on ${f.host}`);
  if (f.lxdBridgeDefaults) {
    fix.push(
      `echo 'alias dnsmasq="/bin/echo Not starting dnsmasq"' >> /etc/default/lxd-bridge   # on ${f.host}, so it stays off`,
    );
  }
  return fix;
}

/** What the active DHCP discovery adds to dhcp.single. */
interface DiscoveryFindings {
  problems: string[];
  evidence: Evidence[];
  fix: string[];
  /** Said in the summary whatever the verdict (what the discovery saw, or why it did not run). */
  note: string;
  /** Hosts a stray server was traced to (the diagnosis files the finding under them). */
  hosts: string[];
}

function offerText(r: DhcpReply): string {
  const opts = [
    r.mask && `mask ${r.mask}`,
    r.routers?.length && `router ${r.routers.join(',')}`,
    r.dns?.length && `dns ${r.dns.join(',')}`,
    r.domain && `domain ${r.domain}`,
    r.giaddr && `via relay ${r.giaddr}`,
  ].filter(Boolean);
  return `${r.type === 'OFFER' ? 'offered' : `sent ${r.type} with`} ${r.yiaddr}${opts.length ? ` (${opts.join(', ')})` : ''}`;
}

function serverText(s: DhcpServerSeen): string {
  const id =
    s.serverId && s.serverId !== s.srcIp
      ? `server id ${s.serverId}, from ${s.srcIp}`
      : `server id ${s.serverId ?? '(none)'}`;
  return `${id}, MAC ${s.srcMac}`;
}

function ownerText(o: DhcpServerOwner): string {
  const behind = o.port ? `behind port ${o.port} of ${o.host}` : '';
  if (o.kind === 'container') return `in container ${o.name}${o.host ? ` on ${o.host}` : ''}`;
  if (o.kind === 'host') return `on host ${o.host}`;
  if (o.kind === 'lease')
    return `on ${o.name} (${behind ? `${behind}; ` : ''}it holds a lease from the one dnsmasq)`;
  return behind ? `on an unknown machine ${behind}` : 'on an unknown machine';
}

function rogueFix(inv: Inventory, ctx: JudgeContext, s: DhcpServerSeen, o: DhcpServerOwner): string[] {
  const br = inv.cluster.bridge;
  if (o.kind === 'container' && o.name) {
    const lxc = (o.host && ctx.hosts.get(o.host)?.lxdCommand) || 'lxc';
    return [
      `${lxc} exec ${quoteArg(o.name)} -- ss -ulnp 'sport = :67'   # on ${o.host ?? 'its host'}: the DHCP server inside ${o.name}`,
      `# stop and disable it inside ${o.name} (e.g. systemctl disable --now dnsmasq / udhcpd / isc-dhcp-server), and remove it from the image`,
    ];
  }
  if (o.kind === 'host' && o.host) {
    return [
      `ss -ulnp 'sport = :67'   # on ${o.host}: find the DHCP server that answers on ${br} and stop it`,
    ];
  }
  if (o.host && o.port) {
    return [
      `ip -d link show ${quoteArg(o.port)}   # on ${o.host}: the veth of the container (or the link to the machine) that runs it`,
      `# stop and disable the DHCP server there (${o.name ?? s.srcIp}), and remove it from its image`,
    ];
  }
  return [
    `bridge fdb show br ${quoteArg(br)} | grep -i ${quoteArg(s.srcMac)}   # on each host: the port it is learned on leads to the machine`,
    `# then stop the DHCP server on that machine (${o.kind === 'lease' ? o.name : s.srcIp})`,
  ];
}

/** Seconds listened: the whole window for probes that always waited it out. */
function listenedSeconds(d: DhcpDiscovery): string {
  return d.listenedMs !== undefined ? String(d.listenedMs / 1000) : String(d.windowSeconds ?? '?');
}

/** How long the discovery listened and why it stopped there (probes that end early say so). */
function listenedText(d: DhcpDiscovery): string {
  if (d.listenedMs === undefined || !d.stop) return `${listenedSeconds(d)} s`;
  const how = d.stop === 'settled' ? `ended early (${d.windowSeconds ?? '?'} s at most)` : 'the whole window';
  return `${listenedSeconds(d)} s, ${how}: ${d.why ?? 'no reason given'}`;
}

/** ARP requests seen while listening: servers that may have been preparing an offer, and were awaited. */
function signsText(d: DhcpDiscovery): string {
  const inUse = d.arpInUse ? `; ${d.arpInUse} ARP request(s) for addresses in use were ordinary traffic` : '';
  if (!d.signs?.length) return inUse;
  const seen = d.signs.map(
    (g) =>
      `${g.srcMac} (${g.senderIp}) asked for ${g.targetIp}${g.atMs !== undefined ? ` at ${g.atMs} ms` : ''}`,
  );
  return `; ARP requests seen, each sender awaited until it offered: ${seen.join(', ')}${inUse}`;
}

/**
 * The active DHCP discovery's verdict: every server that answered other than
 * the one dnsmasq, and the one dnsmasq's silence when it should have heard.
 * Servers the process lists already blamed (a second dnsmasq on a host) are
 * evidence only, so they are not reported twice.
 */
function dhcpDiscoveryFindings(ctx: JudgeContext): DiscoveryFindings {
  const inv = ctx.inventory;
  const out: DiscoveryFindings = { problems: [], evidence: [], fix: [], note: '', hosts: [] };
  const prober = inv.hosts.map((h) => ctx.hosts.get(h.name)).find((f) => f?.raw[DHCP_DISCOVER_SECTION]);
  if (!prober) return out;
  const d = prober.dhcpDiscovery;
  if (!d) {
    const r = prober.raw[DHCP_DISCOVER_SECTION];
    const why = r?.timedOut
      ? 'timed out'
      : r?.exitCode === 0
        ? 'its output ended before its window did'
        : `exit ${r?.exitCode ?? 'unknown'}`;
    out.note = ` (the DHCP discovery from ${prober.host} failed: ${why})`;
    out.evidence.push(sectionEvidence(prober, DHCP_DISCOVER_SECTION));
    return out;
  }
  if (d.status === 'skipped') {
    out.note = ` (active DHCP discovery from ${prober.host} skipped: ${d.skipReason})`;
    return out;
  }
  const servesByPs = (f: HostFacts | undefined) =>
    !!f?.processes && (dhcpServersOnBridge(f, inv.cluster.bridge).length > 0 || port67(f).length > 0);
  const seen = serversSeen(d).map((s) => ({ s, o: ownerOf(s, inv, ctx.hosts) }));
  const lines = seen.map(
    ({ s, o }) => `${serverText(s)} ${ownerText(o)} (${o.by}): ${s.replies.map(offerText).join('; ')}`,
  );
  out.evidence.push(
    sectionEvidence(prober, DHCP_DISCOVER_SECTION, {
      excerpt: lines.join('\n') || '(no answer)',
      note: `one DHCPDISCOVER from ${prober.host} on ${inv.cluster.bridge} (client MAC ${d.chaddr}, never a request), answers collected for ${listenedText(d)}${signsText(d)}`,
    }),
  );
  const isOne = (o: DhcpServerOwner) => o.kind === 'host' && o.host === inv.cluster.dhcp;
  for (const { s, o } of seen) {
    if (isOne(o)) continue;
    if (o.kind === 'host' && o.host && servesByPs(ctx.hosts.get(o.host))) continue;
    if (o.host && !out.hosts.includes(o.host)) out.hosts.push(o.host);
    out.problems.push(
      `a DHCP server ${ownerText(o)} answers on ${inv.cluster.bridge}: ${serverText(s)}, ${offerText(s.replies[0] as DhcpReply)}`,
    );
    out.fix.push(...rogueFix(inv, ctx, s, o));
  }
  const oneAnswered = seen.some(({ o }) => isOne(o));
  const dhcpFacts = ctx.hosts.get(inv.cluster.dhcp);
  if (prober.host === inv.cluster.dhcp) {
    out.note = ` (the DHCP discovery ran on the DHCP host itself, whose own dnsmasq cannot hear it; ${seen.length} other server(s) answered)`;
  } else if (oneAnswered) {
    out.note =
      seen.length === 1
        ? `; a DHCPDISCOVER from ${prober.host} was answered by ${inv.cluster.dhcp}'s dnsmasq alone`
        : '';
  } else if (dhcpFacts?.processes && !servesByPs(dhcpFacts)) {
    // Already said: no DHCP server runs on the DHCP host.
  } else {
    const dhcpBridge = hostSpec(inv, inv.cluster.dhcp).bridgeAddress;
    const ping = prober.mesh?.find((p) => p.target === dhcpBridge);
    if (ping && ping.received === 0) {
      out.note = ` (the one dnsmasq could not be heard from ${prober.host}, which does not reach ${inv.cluster.dhcp}'s bridge: see mesh.bridge)`;
    } else {
      out.problems.push(
        `the one dnsmasq on ${inv.cluster.dhcp} did not answer a DHCPDISCOVER sent on ${inv.cluster.bridge} from ${prober.host} within ${listenedSeconds(d)} s`,
      );
      out.fix.push(
        `on ${inv.cluster.dhcp}: grep -E 'DHCPDISCOVER|no address available' in the dnsmasq log; check its --dhcp-range and --interface for ${inv.cluster.bridge}, and firewall rules on udp 67/68`,
      );
    }
  }
  return out;
}

export const dhcpSingle: CheckDef = {
  id: 'dhcp.single',
  // One dnsmasq for the whole L2: on the Fan every host's daemon serves its own slice instead.
  l2Overlay: true,
  diagnosis: { rank: 80 },
  scope: 'cluster',
  title: (_s, inv) => `exactly one DHCP server on the L2 (dnsmasq on ${inv.cluster.dhcp})`,
  proves:
    'Only the designated host’s dnsmasq serves DHCP on the bridge; every other host’s stays silent, and no other server (one inside a container too) answers a DHCPDISCOVER sent on the bridge.',
  whyItFails:
    'A second host runs LXD’s own dnsmasq (managed bridge with ipv4.dhcp, or lxd-bridge without the dnsmasq alias), a container runs its own DHCP server, or the one dnsmasq is down.',
  howToFix:
    'Stop the stray dnsmasq and keep it off (ipv4.dhcp=false or the lxd-bridge alias); start the one on the DHCP host.',
  judge(_s, ctx) {
    const inv = ctx.inventory;
    const br = inv.cluster.bridge;
    const problems: string[] = [];
    const warnings: string[] = [];
    const evidence: Evidence[] = [];
    const fix: string[] = [];
    const unread: string[] = [];
    /** Hosts that serve DHCP but should not, and whether the designated one is silent. */
    const strays: string[] = [];
    let designatedSilent = false;
    for (const h of inv.hosts) {
      const f = ctx.hosts.get(h.name);
      if (!f?.reachable || !f.processes) {
        unread.push(h.name);
        continue;
      }
      const servers = dhcpServersOnBridge(f, br);
      const listeners = port67(f);
      const serves = servers.length > 0 || listeners.length > 0;
      if (servers.length || listeners.length) {
        evidence.push(
          sectionEvidence(f, PS, {
            excerpt: [...servers.map((d) => `${d.pid} ${d.args}`), ...listeners.map((l) => `udp ${l}`)].join(
              '\n',
            ),
          }),
        );
      }
      if (h.name === inv.cluster.dhcp) {
        if (!serves) {
          designatedSilent = true;
          problems.push(`no DHCP server runs on ${h.name}, the designated DHCP host`);
          evidence.push(
            sectionEvidence(f, PS, { excerpt: '(no dnsmasq with a dhcp-range, nothing on udp/67)' }),
          );
          fix.push(
            `on ${h.name}: systemctl restart lxd   # or lxd-bridge / the dnsmasq unit that serves ${br}`,
          );
        }
        continue;
      }
      if (serves) {
        strays.push(h.name);
        problems.push(
          `${h.name} also serves DHCP on ${br} (${servers
            .map((d) => `dnsmasq pid ${d.pid}`)
            .concat(servers.length ? [] : listeners)
            .join(', ')})`,
        );
        fix.push(...stopSecondDhcp(inv, f, servers[0]));
        continue;
      }
      // Latent: nothing runs now, but the configuration would start a second server on the next restart.
      if (
        f.lxdNetwork?.managed &&
        f.lxdNetwork.config['ipv4.dhcp'] !== 'false' &&
        f.lxdNetwork.config['ipv4.address'] !== 'none'
      ) {
        warnings.push(`${h.name}: LXD manages ${br} with DHCP enabled (ipv4.dhcp is not false)`);
        fix.push(`on ${h.name}: lxc network set ${br} ipv4.dhcp false`);
      }
      if (f.lxdBridgeDefaults?.startsDnsmasq && !f.lxdBridgeDefaults.dnsmasqAliasedAway) {
        warnings.push(
          `${h.name}: /etc/default/lxd-bridge would start dnsmasq on the next lxd-bridge restart`,
        );
        fix.push(...stopSecondDhcp(inv, { ...f, lxdNetwork: null }, undefined).map((l) => l));
      }
    }
    const found = dhcpDiscoveryFindings(ctx);
    problems.push(...found.problems);
    evidence.push(...found.evidence);
    fix.push(...found.fix);
    const note = (unread.length > 0 ? ` (could not read ${unread.join(', ')})` : '') + found.note;
    const hint = {
      why: 'Two DHCP servers on one L2 hand out conflicting leases and DNS servers: containers get addresses the one dnsmasq does not know, and `.lxd` names stop resolving.',
      fix,
    };
    const metrics = { strayServers: strays.length, designatedServes: !designatedSilent };
    if (problems.length > 0) {
      return fail(problems.join('; ') + note, {
        expected: `one DHCP server, on ${inv.cluster.dhcp}`,
        actual: problems.join('; '),
        evidence,
        hint,
        metrics,
        involves: [...new Set([...(designatedSilent ? [inv.cluster.dhcp] : []), ...strays, ...found.hosts])],
        // Without the one dnsmasq nobody gets a lease or a .lxd answer.
        ...(designatedSilent ? { breaks: ['dns' as const] } : {}),
      });
    }
    if (warnings.length > 0) {
      return warn(`one DHCP server now, but ${warnings.join('; ')}${note}`, { evidence, hint });
    }
    if (unread.length > 0) {
      return warn(`one DHCP server on the hosts read, but ${unread.join(', ')} could not be checked`, {
        evidence,
      });
    }
    return pass(`exactly one DHCP server: dnsmasq on ${inv.cluster.dhcp}${found.note}`, { evidence });
  },
};

function rangeOf(d: DnsmasqInstance): { first: string; last: string } | null {
  const parts = (d.dhcpRanges[0] ?? '').split(',').filter((p) => /^\d+\.\d+\.\d+\.\d+$/.test(p));
  return parts.length >= 2 ? { first: parts[0]!, last: parts[1]! } : null;
}

export const dhcpConfig: CheckDef = {
  id: 'dhcp.config',
  // One dnsmasq for the whole L2: on the Fan every host's daemon serves its own slice instead.
  l2Overlay: true,
  scope: 'host',
  needs: ['ssh.reachable'],
  subjects: (ctx) => [{ host: ctx.inventory.cluster.dhcp }],
  title: (_s, inv) => `the one dnsmasq serves ${inv.cluster.domain} and a range inside ${inv.cluster.subnet}`,
  proves:
    'The DHCP range lies in the cluster subnet (and matches the inventory’s), and the DNS domain is the cluster’s.',
  whyItFails: 'dnsmasq was started with another domain or range (e.g. LXD’s default 10.x network).',
  howToFix:
    'Fix --domain / --dhcp-range (or ipv4.dhcp.ranges / dns.domain on a managed bridge) and restart it.',
  judge(s, ctx) {
    const f = factsOf(ctx, s.host);
    const inv = ctx.inventory;
    if (!f.processes) return unreadable(f, PS, 'the process list');
    const d = dhcpServersOnBridge(f, inv.cluster.bridge)[0];
    if (!d) return skip(`no DHCP-serving dnsmasq on ${s.host} (see dhcp.single)`);
    const problems: string[] = [];
    const range = rangeOf(d);
    const subnet = new Netmask(inv.cluster.subnet);
    if (!range) problems.push(`cannot read the DHCP range from ${d.dhcpRanges.join(' ') || '(none)'}`);
    else {
      if (!subnet.contains(range.first) || !subnet.contains(range.last)) {
        problems.push(`range ${range.first}-${range.last} is not inside ${inv.cluster.subnet}`);
      }
      if (inv.cluster.dhcpRange) {
        const [first, last] = inv.cluster.dhcpRange.split(',');
        if (first !== range.first || last !== range.last) {
          problems.push(`range ${range.first}-${range.last} differs from the inventory's ${first}-${last}`);
        }
      }
      const hostInRange = inv.hosts.filter((h) => ipBetween(h.bridgeAddress, range.first, range.last));
      if (hostInRange.length) {
        problems.push(
          `bridge addresses inside the DHCP range: ${hostInRange.map((h) => `${h.name} ${h.bridgeAddress}`).join(', ')}`,
        );
      }
    }
    if (d.domain !== undefined && d.domain !== inv.cluster.domain) {
      problems.push(`domain is ${d.domain}, the inventory says ${inv.cluster.domain}`);
    }
    const ev = [sectionEvidence(f, PS, { excerpt: `${d.pid} ${d.args}` })];
    if (problems.length) {
      return fail(problems.join('; '), {
        expected: `--domain=${inv.cluster.domain}, a --dhcp-range inside ${inv.cluster.subnet}`,
        actual: d.args,
        evidence: ev,
        hint: {
          fix: [
            '# correct --domain / --dhcp-range in the dnsmasq configuration (or lxc network set) and restart it',
          ],
        },
      });
    }
    return pass(`domain ${d.domain ?? '(default)'}, range ${range?.first}-${range?.last}`, { evidence: ev });
  },
};

function ipToInt(ip: string): number {
  return ip.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
}

function ipBetween(ip: string, first: string, last: string): boolean {
  const v = ipToInt(ip);
  return v >= ipToInt(first) && v <= ipToInt(last);
}

export const dnsAnswers: CheckDef = {
  id: 'dns.answers',
  // One dnsmasq for the whole L2: on the Fan every host's daemon serves its own slice instead.
  l2Overlay: true,
  diagnosis: { needs: ['l2', 'address', 'dns'], usesDhcpHost: true, rank: 85 },
  scope: 'host',
  late: true,
  needs: ['ssh.reachable'],
  title: (_s, inv) =>
    `the one dnsmasq (${hostSpec(inv, inv.cluster.dhcp).bridgeAddress}) answers for .${inv.cluster.domain} from here`,
  proves: 'From this host, across the overlay, the one dnsmasq answers queries for the cluster domain.',
  whyItFails:
    'dnsmasq is down, listens on the wrong address, or this host cannot reach the DHCP host’s bridge.',
  howToFix: 'Start the one dnsmasq; check mesh.bridge to the DHCP host.',
  judge(s, ctx) {
    const f = factsOf(ctx, s.host);
    const inv = ctx.inventory;
    const server = hostSpec(inv, inv.cluster.dhcp).bridgeAddress;
    if (!f.dns) {
      const r = f.raw[DNS_PROBE];
      if (r?.exitCode === 127)
        return skip(
          `${s.host} has neither python3 nor dig to send a DNS query (install python3 or dnsutils)`,
        );
      return unreadable(f, DNS_PROBE, 'the DNS answers');
    }
    const busy = overloadNote(f);
    const ev = [sectionEvidence(f, DNS_PROBE, busy ? { note: busy } : {})];
    const dead = f.dns.filter((a) => ['TIMEOUT', 'ERROR', 'REFUSED', 'SERVFAIL'].includes(a.status));
    const metrics = { asked: f.dns.length, answered: f.dns.length - dead.length };
    if (dead.length === f.dns.length) {
      // Asked on the DHCP host itself, no answer means the service is down, not the path to it.
      const local = s.host === inv.cluster.dhcp;
      return fail(
        `no answer from the one dnsmasq at ${server} (${dead.map((a) => `${a.name}: ${a.status}${a.error ? ` ${a.error}` : ''}`).join(', ')})`,
        {
          expected: `answers for .${inv.cluster.domain}`,
          actual: dead.map((a) => `${a.name} ${a.status}`).join(', '),
          evidence: ev,
          metrics,
          ...(local ? { breaks: ['dns' as const] } : {}),
          hint: {
            why: 'Every `.lxd` name lookup on the cluster fails, while addresses still work.',
            fix: [
              `on ${inv.cluster.dhcp}: restart the dnsmasq that serves ${inv.cluster.bridge} (systemctl restart lxd, or its unit)`,
            ],
          },
        },
      );
    }
    const absent = f.dns.find((a) => a.name === absentName(inv));
    const known = f.dns.filter((a) => a.name !== absentName(inv));
    const unresolved = known.filter((a) => a.status !== 'NOERROR' || a.addresses.length === 0);
    if (absent && absent.status !== 'NXDOMAIN' && absent.status !== 'NOERROR') {
      return fail(
        `the one dnsmasq does not serve .${inv.cluster.domain}: ${absent.name} gave ${absent.status}`,
        {
          evidence: ev,
          hint: { fix: [`dnsmasq needs --domain=${inv.cluster.domain} --local=/${inv.cluster.domain}/`] },
        },
      );
    }
    if (unresolved.length > 0) {
      return warn(
        `leased names do not resolve: ${unresolved.map((a) => `${a.name} ${a.status}`).join(', ')}`,
        { evidence: ev },
      );
    }
    const shown = known.map((a) => `${a.name} → ${a.addresses.join(',')}`).join(', ');
    return pass(`dnsmasq answers${shown ? `: ${shown}` : ` (${absent?.name} → ${absent?.status})`}`);
  },
};
