/**
 * containers.*: the point of the overlay — containers on different hosts
 * behave as if on one switch. This file: which containers exist where, their
 * addresses and leases, and who holds each name (from `lxc list` and the one
 * dnsmasq); container-probes.ts: what the containers saw from the inside.
 */

import { fqdn, type PlacedContainer, placedContainers } from '../facts/containers.js';
import { clientOf, daemonInDoubt, daemonLabel, runningDaemons } from '../facts/daemon.js';
import { LXC_LIST } from '../facts/host/lxd.js';
import { PS } from '../facts/host/processes.js';
import { findDuplicateHostnames } from '../facts/parsers/dnsmasq.js';
import type { Lease, LxdClient } from '../facts/types.js';
import type { Evidence, Subject } from '../model.js';
import { type CheckDef, factsOf, fail, hostSpec, type JudgeContext, pass, skip, warn } from './check.js';
import { inSubnet, sectionEvidence, unreadable } from './util.js';

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
    const first = f.raw[LXC_LIST]?.stderr.match(/lxdcheck-client: (lxc|incus)/)?.[1] as LxdClient | undefined;
    // Both daemons here and none named: the probe stage lists the other one too, containers.daemon judges.
    if (
      daemonInDoubt(
        ctx.inventory,
        hostSpec(ctx.inventory, s.host),
        first ?? null,
        runningDaemons(f.processes),
      )
    )
      return warn(
        `${s.host} has the ${first} client while ${first === 'lxc' ? 'incusd' : 'lxd'} runs there, and the inventory names no daemon: containers.daemon tells which one holds the containers`,
        {
          evidence: [
            sectionEvidence(f, PS, {
              excerpt: (f.processes ?? [])
                .filter((p) => p.comm === 'lxd' || p.comm === 'incusd')
                .map((p) => `${p.pid} ${p.comm}`)
                .join('\n'),
            }),
          ],
          hint: { fix: [`daemon: lxd   # or incus, on ${s.host} in the inventory, to choose`] },
        },
      );
    const r = f.raw[LXC_LIST];
    if (!r) return unreadable(f, LXC_LIST, 'the container list');
    const d = f.daemon;
    const named = d?.how === 'named' && d.daemon ? d.daemon : undefined;
    if (r.exitCode === 127)
      return skip(
        named
          ? `no ${clientOf(named)} client on ${s.host} (${d?.why}): its containers are not checked`
          : `no LXD client (lxc or incus) on ${s.host}: its containers are not checked`,
      );
    const client = d?.client ?? f.lxdCommand ?? 'lxc';
    const daemon = d?.daemon ?? 'lxd';
    const unit = daemon === 'incus' ? 'incus' : 'lxd';
    if (f.containers === null) {
      const err = f.lxdListError;
      // No socket at all: the daemon is not running (or not installed) here, which some hosts legitimately are.
      if (f.lxdNotRunning) {
        return warn(
          `${daemonLabel(daemon)} is not running on ${s.host} (no unix socket): its containers are not checked`,
          {
            evidence: [sectionEvidence(f, LXC_LIST)],
            hint: {
              fix: [
                daemon === 'incus' ? 'systemctl start incus' : 'systemctl start lxd   # or snap start lxd',
              ],
            },
          },
        );
      }
      return fail(
        `${client} list failed on ${s.host}: ${err || (r.timedOut ? 'timed out' : `exit ${r.exitCode}`)}`,
        {
          evidence: [sectionEvidence(f, LXC_LIST)],
          hint: {
            why: `A hung or stopped ${daemonLabel(daemon)} hides every container on this host.`,
            fix: [`systemctl restart ${unit}`],
          },
        },
      );
    }
    const running = f.containers.filter((c) => c.running).length;
    // Which daemon was judged, and why (named by the inventory, or detected here).
    return pass(
      `${f.containers.length} containers, ${running} running (${daemonLabel(daemon)} via ${client}; ${d?.why ?? 'detected'})`,
    );
  },
};

/** The client to name in a fix for this host (lxc for LXD, incus for Incus). */
export function clientOn(ctx: JudgeContext, host: string): string {
  return ctx.hosts.get(host)?.daemon?.client ?? 'lxc';
}

export function containerSubjects(ctx: JudgeContext, runningOnly: boolean): Subject[] {
  return placedContainers(ctx.inventory, ctx.hosts)
    .filter((c) => !runningOnly || c.info.running)
    .map((c) => ({ host: c.host, container: c.name }));
}

export function placed(ctx: JudgeContext, s: Subject): PlacedContainer | undefined {
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
    const restart = `${clientOn(ctx, c.host)} restart ${c.name}   # on ${c.host}, to ask for a lease again`;
    if (!ip) {
      return fail(`${c.name} on ${c.host} has ${shown}, none inside ${ctx.inventory.cluster.subnet}`, {
        expected: `an IPv4 in ${ctx.inventory.cluster.subnet}`,
        actual: shown,
        evidence: [sectionEvidence(factsOf(ctx, c.host), LXC_LIST, { excerpt: `${c.name}: ${shown}` })],
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
          evidence: [sectionEvidence(factsOf(ctx, c.host), LXC_LIST, { excerpt: `${c.name}: ${shown}` })],
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
          fix: [`${clientOn(ctx, c.host)} restart ${c.name}   # on ${c.host}`],
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
    const leases = dhcpLeases(ctx)?.leases ?? [];
    const acks = ctx.hosts.get(inv.cluster.dhcp)?.dhcpAcks ?? [];
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
      for (const l of losers) {
        const c = clientOn(ctx, l.host);
        fix.push(
          `on ${l.host}: ${c} stop ${name} && ${c} move ${name} ${name}-${l.host} && ${c} start ${name}-${l.host}`,
        );
      }
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
        const r = f?.raw[LXC_LIST];
        // No client, or no LXD socket (LXD not running): that host has no containers to compare.
        const noLxd = r?.exitCode === 127 || f?.lxdNotRunning;
        return !f?.reachable || (f.containers === null && !noLxd);
      });
      if (unread.length > 0) {
        const why = unread.map((h) => {
          const r = ctx.hosts.get(h.name)?.raw[LXC_LIST];
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
