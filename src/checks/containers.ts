/**
 * containers.*: the point of the overlay — containers on different hosts
 * behave as if on one switch — proven from inside the containers.
 */

import { CONTAINER_TOOLS, fqdn, type PlacedContainer, placedContainers } from '../facts/containers.js';
import type { HostFacts } from '../facts/host-facts.js';
import { findDuplicateHostnames, parseDnsmasqDhcpAcks } from '../facts/parsers/dnsmasq.js';
import type { ContainerProbe, Lease, PingResult } from '../facts/types.js';
import type { Evidence, Subject } from '../model.js';
import { type CheckDef, factsOf, fail, type JudgeContext, pass, skip, warn } from './check.js';
import { inSubnet, pingMetrics, sectionEvidence, unreadable } from './util.js';

function lxdError(f: HostFacts): string {
  const r = f.raw['lxc-list'];
  return (
    (r?.stderr || r?.stdout || '').split('\n').filter((l) => l && !l.startsWith('lxdcheck-client:'))[0] ?? ''
  );
}

export const containersListed: CheckDef = {
  id: 'containers.listed',
  scope: 'host',
  needs: ['ssh.reachable'],
  title: () => 'LXD answers `lxc list`',
  proves: 'The LXD daemon on the host answers, so its containers can be checked.',
  whyItFails: 'LXD is stopped or hung, or the client cannot reach its socket.',
  howToFix: 'systemctl restart lxd (or snap.lxd.daemon); then `lxc list`.',
  judge(s, ctx) {
    const f = factsOf(ctx, s.host);
    const r = f.raw['lxc-list'];
    if (!r) return unreadable(f, 'lxc-list', 'the container list');
    if (r.exitCode === 127)
      return skip(`no LXD client (lxc or incus) on ${s.host}: its containers are not checked`);
    if (f.containers === null) {
      const err = lxdError(f);
      // No socket at all: LXD is not running (or not installed) here, which some hosts legitimately are.
      if (/unix\.socket.*no such file|connect: no such file/i.test(err)) {
        return warn(`LXD is not running on ${s.host} (no unix socket): its containers are not checked`, {
          evidence: [sectionEvidence(f, 'lxc-list')],
          hint: { fix: ['systemctl start lxd   # or snap start lxd'] },
        });
      }
      return fail(
        `lxc list failed on ${s.host}: ${err || (r.timedOut ? 'timed out' : `exit ${r.exitCode}`)}`,
        {
          evidence: [sectionEvidence(f, 'lxc-list')],
          hint: {
            why: 'A hung or stopped LXD hides every container on this host.',
            fix: ['systemctl restart lxd'],
          },
        },
      );
    }
    const running = f.containers.filter((c) => c.running).length;
    return pass(`${f.containers.length} containers, ${running} running (${f.lxdCommand ?? 'lxc'})`);
  },
};

function containerSubjects(ctx: JudgeContext, runningOnly: boolean): Subject[] {
  return placedContainers(ctx.inventory, ctx.hosts)
    .filter((c) => !runningOnly || c.info.running)
    .map((c) => ({ host: c.host, container: c.name }));
}

function placed(ctx: JudgeContext, s: Subject): PlacedContainer | undefined {
  return placedContainers(ctx.inventory, ctx.hosts).find((c) => c.name === s.container && c.host === s.host);
}

function dhcpLeases(ctx: JudgeContext): { leases: Lease[]; file: string } | null {
  const f = ctx.hosts.get(ctx.inventory.cluster.dhcp);
  if (!f?.reachable) return null;
  const file = f.leases.find((l) => l.leases.length > 0) ?? f.leases[0];
  return file ? { leases: file.leases, file: file.file } : { leases: [], file: '(no lease file found)' };
}

function dhcpRange(ctx: JudgeContext): [string, string] | null {
  const fromInv = ctx.inventory.cluster.dhcpRange?.split(',');
  if (fromInv?.[0] && fromInv[1]) return [fromInv[0], fromInv[1]];
  const d = ctx.hosts.get(ctx.inventory.cluster.dhcp)?.dnsmasq.find((x) => x.servesDhcp);
  const parts = (d?.dhcpRanges[0] ?? '').split(',').filter((p) => /^\d+\.\d+\.\d+\.\d+$/.test(p));
  return parts[0] && parts[1] ? [parts[0], parts[1]] : null;
}

/** dhcp.single, named as the cause of lease trouble; it counts only when dhcp.single really failed. */
const STRAY_DHCP = { check: 'dhcp.single', subject: {} };

const ipNum = (ip: string) => ip.split('.').reduce((a, o) => a * 256 + Number(o), 0);

export const containersAddress: CheckDef = {
  id: 'containers.address',
  diagnosis: { needs: ['l2', 'dns'], usesDhcpHost: true },
  scope: 'container',
  needs: ['containers.listed'],
  subjects: (ctx) => containerSubjects(ctx, true),
  title: (s) => `${s.container} has an address from the one DHCP server`,
  proves: 'The running container holds an IPv4 inside the cluster subnet and the DHCP range.',
  whyItFails:
    'DHCP did not answer (dnsmasq down, overlay broken), or a second DHCP server gave it a foreign address.',
  howToFix:
    'Fix the DHCP path (dhcp.single, overlay.member), then renew: `lxc exec NAME -- dhclient -r eth0; lxc exec NAME -- dhclient eth0` or restart the container.',
  judge(s, ctx) {
    const c = placed(ctx, s);
    if (!c) return skip('container vanished between list and judge');
    const ip = c.info.ipv4.find((a) => inSubnet(a, ctx.inventory.cluster.subnet));
    const shown = c.info.ipv4.join(', ') || 'no IPv4';
    const restart = `lxc restart ${c.name}   # on ${c.host}, to ask for a lease again`;
    if (!ip) {
      return fail(`${c.name} on ${c.host} has ${shown}, none inside ${ctx.inventory.cluster.subnet}`, {
        expected: `an IPv4 in ${ctx.inventory.cluster.subnet}`,
        actual: shown,
        evidence: [sectionEvidence(factsOf(ctx, c.host), 'lxc-list', { excerpt: `${c.name}: ${shown}` })],
        hint: {
          why: 'Without a lease from the one dnsmasq the container is not on the cluster network.',
          fix: [restart],
        },
      });
    }
    const range = dhcpRange(ctx);
    if (range && !(ipNum(ip) >= ipNum(range[0]) && ipNum(ip) <= ipNum(range[1]))) {
      return warn(
        `${c.name} holds ${ip}, outside the DHCP range ${range[0]}-${range[1]} (static, or from another DHCP server)`,
        {
          cause: STRAY_DHCP,
          evidence: [sectionEvidence(factsOf(ctx, c.host), 'lxc-list', { excerpt: `${c.name}: ${shown}` })],
        },
      );
    }
    return pass(`${c.name} holds ${ip}`);
  },
};

export const containersLease: CheckDef = {
  id: 'containers.lease',
  diagnosis: { needs: ['l2', 'dns'], usesDhcpHost: true },
  scope: 'container',
  needs: ['containers.listed'],
  subjects: (ctx) => containerSubjects(ctx, true),
  title: (s, inv) => `the one dnsmasq on ${inv.cluster.dhcp} has a lease for ${s.container}'s MAC`,
  proves: 'The container’s address really comes from the one dnsmasq, which therefore knows its name.',
  whyItFails: 'It got its address elsewhere (a second DHCP server, a static address), or the lease expired.',
  howToFix: 'Stop any second DHCP server; renew the container’s lease (restart it).',
  judge(s, ctx) {
    const c = placed(ctx, s);
    if (!c) return skip('container vanished between list and judge');
    const leases = dhcpLeases(ctx);
    if (!leases) return skip(`the DHCP host ${ctx.inventory.cluster.dhcp} could not be read`);
    const mac = c.info.hwaddr?.toLowerCase();
    if (!mac) return skip(`LXD reports no MAC for ${c.name}`);
    const lease = leases.leases.find((l) => l.mac.toLowerCase() === mac);
    const ev: Evidence[] = [
      { host: ctx.inventory.cluster.dhcp, command: `cat ${leases.file}`, note: `looking for ${mac}` },
    ];
    if (!lease) {
      return fail(`no lease for ${c.name} (${mac}) in ${leases.file} on ${ctx.inventory.cluster.dhcp}`, {
        expected: `a lease for ${mac}`,
        // A lease from another server is that server's doing (when dhcp.single found one).
        cause: STRAY_DHCP,
        actual: `${leases.leases.length} leases, none for this MAC`,
        evidence: ev,
        hint: {
          why: 'The one dnsmasq does not know this container: its name will not resolve.',
          fix: [`lxc restart ${c.name}   # on ${c.host}`],
        },
      });
    }
    if (c.info.ipv4.length > 0 && !c.info.ipv4.includes(lease.ip)) {
      return fail(`${c.name}'s lease says ${lease.ip}, but LXD reports ${c.info.ipv4.join(', ')}`, {
        evidence: ev,
        cause: STRAY_DHCP,
        hint: {
          why: 'The container holds an address dnsmasq did not give it (stale lease, or another DHCP server).',
        },
      });
    }
    return pass(`lease ${lease.ip} for ${mac}${lease.hostname ? ` as ${lease.hostname}` : ''}`);
  },
};

export const containersStaleLeases: CheckDef = {
  id: 'containers.stale-leases',
  scope: 'cluster',
  title: () => 'every lease belongs to a container that exists',
  proves: 'No address is held for a MAC no container has (left-overs of deleted or re-created containers).',
  whyItFails: 'Containers were deleted or re-created with a new MAC; their leases linger until they expire.',
  howToFix:
    'Harmless until the pool runs out; remove the lines from the lease file with dnsmasq stopped, or wait for expiry.',
  judge(_s, ctx) {
    const leases = dhcpLeases(ctx);
    if (!leases) return skip(`the DHCP host ${ctx.inventory.cluster.dhcp} could not be read`);
    const listing = ctx.inventory.hosts.map((h) => ctx.hosts.get(h.name)?.containers);
    if (listing.some((l) => l === null || l === undefined)) return skip('not every host answered `lxc list`');
    const macs = new Set(
      placedContainers(ctx.inventory, ctx.hosts).flatMap((c) =>
        Object.values(c.info.nics).map((n) => n.hwaddr?.toLowerCase() ?? ''),
      ),
    );
    const stale = leases.leases.filter((l) => !macs.has(l.mac.toLowerCase()));
    if (stale.length === 0) return pass(`${leases.leases.length} leases, all held by containers`);
    return warn(
      `${stale.length} leases for MACs no container has: ${stale.map((l) => `${l.ip} ${l.mac} ${l.hostname ?? '*'}`).join(', ')}`,
      {
        evidence: [{ host: ctx.inventory.cluster.dhcp, command: `cat ${leases.file}` }],
      },
    );
  },
};

/** Container pairs the probes covered (source probe → each target it pinged). */
function pairSubjects(ctx: JudgeContext): Subject[] {
  const all = placedContainers(ctx.inventory, ctx.hosts);
  const out: Subject[] = [];
  for (const src of all.filter((c) => c.info.running)) {
    const probe = probeOf(ctx, src.host, src.name);
    if (!probe) continue;
    for (const t of all) {
      if (t === src || !t.info.running) continue;
      const ip = t.info.ipv4[0];
      if ((ip && probe.byIp.has(ip)) || probe.byName.has(fqdn(ctx.inventory, t.name)) || probe.error) {
        out.push({ host: src.host, container: src.name, peer: t.host, peerContainer: t.name });
      }
    }
  }
  return out;
}

function probeOf(
  ctx: JudgeContext,
  host: string | undefined,
  name: string | undefined,
): ContainerProbe | undefined {
  return ctx.hosts.get(host ?? '')?.containerProbes.find((p) => p.container === name);
}

function pingText(r: PingResult): string {
  return `${r.sent} sent, ${r.received} received${r.rttAvgMs !== undefined ? `, avg ${r.rttAvgMs} ms` : ''}${r.error ? ` (${r.error})` : ''}`;
}

/** A probe that could not run, or lacks the tool: a SKIP with the reason and the package, never a pass. */
function probeUnusable(ctx: JudgeContext, s: Subject, tool: string) {
  const p = probeOf(ctx, s.host, s.container);
  if (!p) return skip(`no probe ran in ${s.container}`);
  if (p.error)
    return {
      status: 'error' as const,
      summary: p.error,
      evidence: [sectionEvidence(factsOf(ctx, s.host), p.section)],
    };
  if (p.tools && !p.tools.includes(tool)) {
    return skip(`${s.container} has no ${tool} (install ${CONTAINER_TOOLS[tool] ?? tool} in the container)`);
  }
  return null;
}

export const containersPingIp: CheckDef = {
  id: 'containers.ping-ip',
  diagnosis: { needs: ['l2'], pattern: { breaks: ['l2'] } },
  scope: 'container-pair',
  needs: ['containers.address'],
  subjects: pairSubjects,
  title: (s) => `${s.container} pings ${s.peerContainer} by address`,
  proves: 'Frames cross from one container to the other, through both bridges and the overlay.',
  whyItFails:
    'The overlay between the two hosts is broken (tap not bridged, peer down, MTU), or a firewall in between.',
  howToFix: 'Look at overlay.member, overlay.peers and mesh.bridge for the two hosts.',
  judge(s, ctx) {
    const bad = probeUnusable(ctx, s, 'ping');
    if (bad) return bad;
    const target = placed(ctx, { host: s.peer, container: s.peerContainer });
    const ip = target?.info.ipv4[0];
    if (!ip) return skip(`${s.peerContainer} has no IPv4 to ping`);
    const r = probeOf(ctx, s.host, s.container)?.byIp.get(ip);
    if (!r) return skip(`${s.peerContainer} was not in ${s.container}'s sample`);
    const ev = [
      sectionEvidence(factsOf(ctx, s.host), probeOf(ctx, s.host, s.container)!.section, {
        excerpt: `ping ${ip}: ${pingText(r)}`,
      }),
    ];
    const metrics = pingMetrics(r);
    if (r.received === 0) {
      const cross = s.host !== s.peer;
      return fail(
        `${s.container}@${s.host} cannot reach ${s.peerContainer}@${s.peer} at ${ip}: ${pingText(r)}`,
        {
          expected: 'replies',
          actual: pingText(r),
          evidence: ev,
          metrics,
          hint: {
            why: cross
              ? 'The two hosts’ bridges are not joined: check the overlay between them.'
              : 'Same-host containers cannot talk: check the bridge and the containers’ firewalls.',
            fix: [`lxdcheck run -i INVENTORY --only 'overlay.*' --only 'mesh.*'`],
          },
        },
      );
    }
    if (r.received < r.sent) return warn(`${ip}: ${pingText(r)}`, { evidence: ev, metrics });
    return pass(`${ip}: ${pingText(r)}`, { metrics });
  },
};

export const containersPingName: CheckDef = {
  id: 'containers.ping-name',
  diagnosis: { needs: ['l2', 'dns'], usesDhcpHost: true, pattern: { breaks: ['l2'] } },
  scope: 'container-pair',
  needs: ['containers.address'],
  subjects: pairSubjects,
  title: (s, inv) =>
    `${s.container} pings ${s.peerContainer} by name ${s.peerContainer}.${inv.cluster.domain}`,
  proves: 'The name resolves through the one dnsmasq, to this container, and it answers.',
  whyItFails:
    'dnsmasq is down or unreachable, the name belongs to another container (duplicate names), or the overlay is broken.',
  howToFix: 'Look at dns.answers, containers.duplicate-name and containers.ping-ip.',
  judge(s, ctx) {
    const bad = probeUnusable(ctx, s, 'ping');
    if (bad) return bad;
    const name = fqdn(ctx.inventory, s.peerContainer ?? '');
    const probe = probeOf(ctx, s.host, s.container)!;
    const r = probe.byName.get(name);
    if (!r) return skip(`${name} was not in ${s.container}'s sample`);
    const target = placed(ctx, { host: s.peer, container: s.peerContainer });
    const resolved = probe.dns.get(name)?.addresses ?? [];
    const ev = [
      sectionEvidence(factsOf(ctx, s.host), probe.section, {
        excerpt: `ping ${name}: ${pingText(r)}\ngetent ahostsv4 ${name}: ${resolved.join(' ') || '(no answer)'}`,
      }),
    ];
    const own = target?.info.ipv4 ?? [];
    if (r.received > 0 && resolved.length > 0 && !resolved.some((a) => own.includes(a))) {
      return fail(
        `${name} answers, but at ${resolved.join(', ')}, not at ${s.peerContainer}@${s.peer}'s ${own.join(', ') || '(no address)'}`,
        {
          evidence: ev,
          metrics: pingMetrics(r),
          cause: { check: 'containers.duplicate-name', subject: {} },
          hint: {
            why: 'Another container holds the name (see containers.duplicate-name): traffic by name reaches the wrong one.',
          },
        },
      );
    }
    if (r.received === 0) {
      const why =
        r.error && /resolution|not known/i.test(r.error)
          ? `${name} does not resolve (${r.error})`
          : pingText(r);
      return fail(`${s.container}@${s.host} cannot reach ${name}: ${why}`, {
        metrics: pingMetrics(r),
        expected: `replies from ${own.join(', ')}`,
        actual: why,
        evidence: ev,
        hint: { why: 'Names fail while addresses may still work: look at dns.answers and dhcp.single.' },
      });
    }
    return pass(`${name} → ${resolved.join(', ') || '?'}: ${pingText(r)}`, { metrics: pingMetrics(r) });
  },
};

export const containersDns: CheckDef = {
  id: 'containers.dns',
  diagnosis: { needs: ['l2', 'dns'], usesDhcpHost: true },
  scope: 'container',
  needs: ['containers.listed'],
  subjects: (ctx) => containerSubjects(ctx, true),
  title: (s, inv) =>
    `${s.container}.${inv.cluster.domain} resolves to ${s.container}'s address from every host`,
  proves:
    'What the name resolves to, asked from inside a container on every host, is the address LXD reports.',
  whyItFails: 'A stale lease, a duplicate name (the newest holder wins), or dnsmasq down.',
  howToFix: 'Rename one of a duplicate pair (`lxc move old new`), or renew the stale lease.',
  judge(s, ctx) {
    const c = placed(ctx, s);
    if (!c) return skip('container vanished between list and judge');
    const name = fqdn(ctx.inventory, c.name);
    const own = c.info.ipv4;
    const answers: { from: string; addresses: string[] }[] = [];
    for (const h of ctx.inventory.hosts) {
      const probe = ctx.hosts
        .get(h.name)
        ?.containerProbes.find((p) => !p.error && p.tools?.includes('getent') && p.dns.has(name));
      if (probe)
        answers.push({
          from: `${probe.container}@${h.name}`,
          addresses: probe.dns.get(name)?.addresses ?? [],
        });
    }
    if (answers.length === 0) return skip(`no container with getent asked for ${name}`);
    const shown = answers.map((a) => `${a.from}: ${a.addresses.join(',') || 'no answer'}`).join('; ');
    const wrong = answers.filter((a) => !a.addresses.some((x) => own.includes(x)));
    if (wrong.length === 0) return pass(`${name} → ${own.join(', ')} from ${answers.length} host(s)`);
    const foreign = [...new Set(wrong.flatMap((w) => w.addresses))];
    const holder = placedContainers(ctx.inventory, ctx.hosts).find(
      (x) => x !== c && x.info.ipv4.some((a) => foreign.includes(a)),
    );
    return fail(
      foreign.length
        ? `${name} resolves to ${foreign.join(', ')}${holder ? ` (${holder.name}@${holder.host})` : ''}, but ${c.name}@${c.host} has ${own.join(', ') || 'no address'}`
        : `${name} does not resolve from ${wrong.map((w) => w.from).join(', ')}`,
      {
        expected: own.join(', '),
        involves: [...new Set(wrong.map((w) => w.from.split('@')[1] ?? ''))].filter(Boolean),
        ...(holder ? { cause: { check: 'containers.duplicate-name', subject: {} } } : {}),
        actual: shown,
        evidence: answers.map((a) => ({
          host: a.from.split('@')[1],
          command: `getent ahostsv4 ${name}`,
          excerpt: a.addresses.join(' ') || '(no answer)',
        })),
        hint: {
          why: foreign.length
            ? 'A stale lease or another container with the same name holds the name.'
            : 'The one dnsmasq does not answer for this name.',
          fix: holder
            ? [`lxc move ${holder.name} ${holder.name}-2   # on ${holder.host}: rename one of the two`]
            : [],
        },
      },
    );
  },
};

export const containersDuplicateName: CheckDef = {
  id: 'containers.duplicate-name',
  scope: 'cluster',
  title: (_s, inv) => `no two containers share a name on the .${inv.cluster.domain} network`,
  proves: 'Every container name (and DHCP hostname) is held by one container, so NAME.lxd means one thing.',
  whyItFails:
    'Standalone LXD hosts do not know each other’s names: two hosts can each have a `web`; dnsmasq then gives the name to whichever renewed last.',
  howToFix: 'Rename one of them: `lxc move OLD NEW` on its host (stopped), then start it again.',
  judge(_s, ctx) {
    const inv = ctx.inventory;
    const all = placedContainers(inv, ctx.hosts);
    const byName = new Map<string, PlacedContainer[]>();
    for (const c of all) byName.set(c.name, [...(byName.get(c.name) ?? []), c]);
    const dupNames = [...byName.entries()].filter(([, cs]) => new Set(cs.map((c) => c.host)).size > 1);
    const dhcp = ctx.hosts.get(inv.cluster.dhcp);
    const leases = dhcpLeases(ctx)?.leases ?? [];
    const acks = dhcp?.dnsmasqLog ? parseDnsmasqDhcpAcks(dhcp.dnsmasqLog) : [];
    // A lease for a MAC no container has is stale (containers.stale-leases), not a second holder of the name.
    const listed = inv.hosts.every((h) => Array.isArray(ctx.hosts.get(h.name)?.containers));
    const macs = new Set(
      all.flatMap((c) => Object.values(c.info.nics).map((n) => n.hwaddr?.toLowerCase() ?? '')),
    );
    const leaseDups = findDuplicateHostnames(leases, acks).filter(
      (d) => !listed || d.leases.filter((l) => macs.has(l.mac.toLowerCase())).length > 1,
    );
    const problems: string[] = [];
    const fix: string[] = [];
    const evidence: Evidence[] = [];
    for (const [name, cs] of dupNames) {
      // Which one does the name reach? Ask the DNS answers the containers saw.
      const resolved = new Set<string>();
      for (const h of inv.hosts) {
        for (const p of ctx.hosts.get(h.name)?.containerProbes ?? []) {
          for (const a of p.dns.get(fqdn(inv, name))?.addresses ?? []) resolved.add(a);
        }
      }
      const winner = cs.find((c) => c.info.ipv4.some((a) => resolved.has(a)));
      const losers = cs.filter((c) => c !== winner);
      problems.push(
        `${name} exists on ${cs.map((c) => c.host).join(' and ')}` +
          (winner
            ? `; ${fqdn(inv, name)} resolves to ${winner.info.ipv4.join(',')} (${name}@${winner.host}), so ${losers.map((l) => `${name}@${l.host}`).join(', ')} is unreachable by name`
            : ''),
      );
      for (const l of losers)
        fix.push(
          `on ${l.host}: lxc stop ${name} && lxc move ${name} ${name}-${l.host} && lxc start ${name}-${l.host}`,
        );
      evidence.push(
        ...cs.map((c) => ({
          host: c.host,
          command: 'lxc list --format json',
          excerpt: `${c.name} ${c.info.hwaddr ?? ''} ${c.info.ipv4.join(',')}`,
        })),
      );
    }
    for (const d of leaseDups) {
      if (dupNames.some(([n]) => n === d.hostname)) continue;
      problems.push(
        `hostname ${d.hostname} was leased to ${d.leases.map((l) => `${l.mac} (${l.ip})`).join(' and ')}`,
      );
      evidence.push({
        host: inv.cluster.dhcp,
        note: 'dnsmasq lease file and DHCPACK log lines',
        excerpt: d.leases.map((l) => `${l.expiry} ${l.mac} ${l.ip} ${l.hostname ?? '*'}`).join('\n'),
      });
      fix.push(`rename one of the clients that send the hostname ${d.hostname}`);
    }
    if (problems.length === 0) {
      // A host whose `lxc list` was not read (timed out, lost with its gather) could hold the duplicate.
      const unread = inv.hosts.filter((h) => {
        const f = ctx.hosts.get(h.name);
        const r = f?.raw['lxc-list'];
        // No client, or no LXD socket (LXD not running): that host has no containers to compare.
        const noLxd =
          r?.exitCode === 127 || (f && /unix\.socket.*no such file|connect: no such file/i.test(lxdError(f)));
        return !f?.reachable || (f.containers === null && !noLxd);
      });
      if (unread.length > 0) {
        const why = unread.map((h) => {
          const r = ctx.hosts.get(h.name)?.raw['lxc-list'];
          return `${h.name} (${!ctx.hosts.get(h.name)?.reachable ? 'unreachable' : !r ? 'not run' : r.timedOut ? 'timed out' : `exit ${r.exitCode}`})`;
        });
        return skip(
          `no duplicate among the names read, but lxc list was not read on ${why.join(', ')}: duplicate names there cannot be ruled out`,
        );
      }
      return pass(`${byName.size} container names, all unique`);
    }
    return fail(problems.join('; '), {
      expected: 'one container per name',
      actual: problems.join('; '),
      evidence,
      hint: {
        why: 'dnsmasq gives a name to the last client that asked for it and logs no warning: the other container silently drops off DNS, and the name flips when it renews.',
        fix,
      },
    });
  },
};
