/**
 * bridge.multicast-router: with IGMP snooping and a querier on the L2, each
 * other host's overlay port must be a multicast router port of its bridge.
 *
 * A snooping bridge that knows of a querier sends a container's group
 * traffic only to ports that announced members and to router ports (ports a
 * query arrived on). When the VPN re-creates its tap (a restart, a reboot)
 * the new port is neither until the querier's next general query (every
 * 125 s): observed on the lab, restarting every host's VPN stopped all
 * cross-host multicast until the querier asked again. The multicast probe
 * (late stage) tells a port that is merely unmarked from one that drops.
 */

import { MDB, SYSFS } from '../facts/host/bridge.js';
import type { HostFacts } from '../facts/host-facts.js';
import { MULTICAST } from '../facts/multicast.js';
import { type CheckDef, factsOf, fail, pass, skip, warn } from './check.js';
import { sectionEvidence } from './util.js';

const QUERY_INTERVAL_S = 125;

/** Hosts other than `self` whose bridge has multicast_querier=1. */
function queriersBesides(ctx: Parameters<CheckDef['judge']>[1], self: string, bridge: string): string[] {
  const path = `/sys/class/net/${bridge}/bridge/multicast_querier`;
  return ctx.inventory.hosts
    .map((h) => ctx.hosts.get(h.name))
    .filter((f): f is HostFacts => !!f && f.host !== self && f.sysfs[path] === '1')
    .map((f) => f.host);
}

/** Packets a host's probe container heard from `container`, both windows. */
function heardFrom(g: HostFacts, container: string): number {
  return (g.multicast?.received.get(container) ?? 0) + (g.multicast?.confirm?.received.get(container) ?? 0);
}

/**
 * Whether this host's probe container's group traffic got out: heard by the
 * querier host's participant (a querier forwards no reports, so only a router
 * port carries traffic there) or, when that host took no part, by any other.
 * null when no probe ran here or nowhere else.
 */
function multicastGotOut(
  ctx: Parameters<CheckDef['judge']>[1],
  f: HostFacts,
  querier: string,
): boolean | null {
  const tx = f.multicast;
  if (!tx) return null;
  const heard = (g: HostFacts) => heardFrom(g, tx.container) > 0;
  const q = ctx.hosts.get(querier);
  if (q?.multicast) return heard(q);
  const rxs = ctx.inventory.hosts
    .map((h) => ctx.hosts.get(h.name))
    .filter((g): g is HostFacts => !!g?.multicast && g.host !== f.host);
  return rxs.length === 0 ? null : rxs.some(heard);
}

/**
 * A host whose overlay port is a router port and whose probe container sent, yet nothing of it
 * arrived here: inbound multicast is dropped on this host, which no missing router mark explains
 * (a router port only matters for traffic leaving).
 */
function unheardRouterSender(ctx: Parameters<CheckDef['judge']>[1], f: HostFacts, ov: string): string | null {
  if (!f.multicast) return null;
  for (const h of ctx.inventory.hosts) {
    const g = ctx.hosts.get(h.name);
    if (!g?.multicast || g.host === f.host || !g.multicastRouterPorts?.some((p) => p.port === ov)) continue;
    if (heardFrom(f, g.multicast.container) === 0) return g.host;
  }
  return null;
}

export const bridgeMulticastRouter: CheckDef = {
  id: 'bridge.multicast-router',
  // Not on a Fan cluster: no overlay port there (check.ts judgeCheck).
  l2Overlay: true,
  diagnosis: { breaks: ['multicast'], needs: ['l2'], rank: 60 },
  scope: 'host',
  // Judged after the multicast probe, which tells an unmarked port from a dropping one.
  late: true,
  needs: ['overlay.member@host'],
  title: (_s, inv) =>
    `${inv.cluster.overlay.interface} is a multicast router port of ${inv.cluster.bridge} where a querier prunes groups`,
  proves:
    'Group traffic from this host’s containers is sent over the overlay: the snooping bridge treats the VPN port as the way to the querier.',
  whyItFails:
    'The VPN re-created its tap (restart, reboot) after the querier’s last general query, so the new port is not yet a router port and announced no members: multicast from here stops for up to two minutes. A filter dropping multicast on the VPN port (queries included) keeps it that way.',
  howToFix:
    'Make the VPN port a permanent router port in the VPN’s up-script (`bridge link set dev peervpn0 mcast_router 2` after `brctl addif`), or have the querier ask now (mcast_querier 0, then 1, on its host).',
  judge(s, ctx) {
    const f = factsOf(ctx, s.host);
    const { bridge, overlay } = ctx.inventory.cluster;
    const ov = overlay.interface;
    const snooping = f.sysfs[`/sys/class/net/${bridge}/bridge/multicast_snooping`];
    const mode = f.sysfs[`/sys/class/net/${ov}/brport/multicast_router`];
    if (snooping === undefined || f.multicastRouterPorts === null)
      return skip(
        `${bridge}'s multicast router ports on ${s.host} were not read (no \`bridge -d -s mdb show\` output: iproute2's bridge missing, or a bundle recorded before lxdcheck read them)`,
      );
    const evidence = [
      sectionEvidence(f, SYSFS, {
        excerpt: `multicast_snooping=${snooping} ${ov} multicast_router=${mode ?? '?'}`,
      }),
      sectionEvidence(f, MDB, {
        excerpt:
          f.multicastRouterPorts
            .map((p) => `router port ${p.port}${p.kind ? ` (${p.kind})` : ''}`)
            .join('\n') || '(no router ports)',
      }),
    ];
    if (snooping === '0') return pass(`IGMP snooping is off on ${bridge}: multicast floods to every port`);
    if (mode === '2') return pass(`${ov} is a permanent multicast router port of ${bridge}`);
    if (f.sysfs[`/sys/class/net/${bridge}/bridge/multicast_querier`] === '1')
      return pass(
        `${bridge} on ${s.host} is the querier: it learns the other hosts' members from the reports they forward to it`,
      );
    const queriers = queriersBesides(ctx, s.host ?? '', bridge);
    if (queriers.length === 0)
      return pass(
        `no ${bridge} on the L2 is a querier, so ${bridge} on ${s.host} floods group traffic to every port (bridge.multicast-querier says what that costs)`,
      );
    const querier = queriers[0] as string;
    const router = f.multicastRouterPorts.find((p) => p.port === ov);
    if (router) {
      const left =
        router.timerSeconds !== undefined
          ? `; ${Math.round(router.timerSeconds)} s until the next query renews it`
          : '';
      return pass(`${ov} is a multicast router port of ${bridge}: ${querier}'s queries arrive on it${left}`);
    }
    const why =
      mode === '0'
        ? `${ov} has multicast_router=0, so it never becomes one`
        : `no query from ${querier} has arrived on it since it (re)joined the bridge`;
    const gotOut = multicastGotOut(ctx, f, querier);
    const fix = [
      `bridge link set dev ${ov} mcast_router 2   # on ${s.host}; add it to the VPN's up-script after brctl addif, so a restart keeps it`,
      `ip link set ${bridge} type bridge mcast_querier 0; ip link set ${bridge} type bridge mcast_querier 1   # on ${querier}: query now`,
      `nft list ruleset; ebtables -L   # on ${s.host}, if it comes back: a rule dropping multicast on ${ov} drops the queries too`,
    ];
    const hint = {
      why: `A snooping bridge that knows of a querier sends its containers' group traffic only to ports that announced members and to router ports; until ${querier}'s next general query (every ${QUERY_INTERVAL_S} s) ${ov} is neither, so multicast from ${s.host} stops after every VPN restart or reboot.`,
      fix,
    };
    const actual = `${ov} not among ${bridge}'s router ports (${f.multicastRouterPorts.map((p) => p.port).join(' ') || 'none'}); ${querier} is the querier`;
    const expected = `${ov} a router port (learned from ${querier}'s queries, or mcast_router 2)`;
    const dropsInbound = gotOut === false ? unheardRouterSender(ctx, f, ov) : null;
    if (dropsInbound) {
      // Both ways lost, and the way in does not depend on this port's router mark: a filter, most likely.
      return warn(
        `${ov} is not a multicast router port of ${bridge} on ${s.host} (${why}), but multicast from ${dropsInbound}, whose ${ov} is one, does not arrive here either: something on ${s.host} drops multicast on ${ov} (multicast.containers)`,
        { expected, actual, evidence, hint, involves: [querier] },
      );
    }
    if (gotOut === false) {
      evidence.push(
        sectionEvidence(ctx.hosts.get(querier) ?? f, MULTICAST, {
          note: `${f.multicast?.container ?? 'this host’s probe container'} sent; nothing of it was heard`,
        }),
      );
      return fail(
        `${ov} is not a multicast router port of ${bridge} on ${s.host} (${why}): group traffic from its containers does not leave the host`,
        { expected, actual, evidence, hint, involves: [querier] },
      );
    }
    const probe =
      gotOut === true
        ? 'the probe’s group traffic still got out this time'
        : 'no multicast probe ran to show whether group traffic gets out';
    return warn(
      `${ov} is not a multicast router port of ${bridge} on ${s.host} (${why}); ${probe}, but until ${querier}'s next query it depends on what the bridge last heard`,
      { expected, actual, evidence, hint, involves: [querier] },
    );
  },
};
