/** bridge.*: the bridge each host puts its containers and its VPN tap on. */

import { SYSFS } from '../facts/host/bridge.js';
import { ADDRS, LINKS } from '../facts/host/links.js';
import { type CheckDef, factsOf, fail, hostSpec, pass, skip, warn } from './check.js';
import { bridgePorts, inSubnet, ipv4Of, link, prefixOf, sectionEvidence, unreadable } from './util.js';

export const bridgeExists: CheckDef = {
  id: 'bridge.exists',
  diagnosis: {
    breaks: ['l2'],
    rank: 10,
    explains: ['bridge.address', 'bridge.mtu', 'overlay.member', 'routes.cluster', 'service-order.*'],
  },
  scope: 'host',
  needs: ['ssh.reachable'],
  title: (_s, inv) => `${inv.cluster.bridge} is present and up`,
  proves: 'The cluster bridge exists on the host, is a bridge, and is administratively up.',
  whyItFails: 'LXD (or lxd-bridge) did not create it, it was deleted, or it is down.',
  howToFix: 'Start LXD / lxd-bridge, or `ip link add lxdbr0 type bridge && ip link set lxdbr0 up`.',
  judge(s, ctx) {
    const f = factsOf(ctx, s.host);
    const br = ctx.inventory.cluster.bridge;
    if (!f.links) return unreadable(f, LINKS, 'the network links');
    const l = link(f, br);
    const names = f.links.map((x) => x.ifname).join(', ');
    if (!l) {
      return fail(`${br} does not exist on ${s.host}`, {
        expected: `a bridge named ${br}`,
        actual: `links: ${names}`,
        evidence: [sectionEvidence(f, LINKS, { excerpt: names })],
        hint: {
          why: 'Containers and the VPN tap attach to this bridge; without it nothing on this host reaches the cluster.',
          fix: ['systemctl restart lxd   # or lxd-bridge on LXD 2.x', `lxc network show ${br}`],
        },
      });
    }
    if (l.kind !== undefined && l.kind !== 'bridge') {
      return fail(`${br} exists on ${s.host} but is a ${l.kind}, not a bridge`, {
        expected: 'kind bridge',
        actual: `kind ${l.kind}`,
        evidence: [sectionEvidence(f, LINKS, { excerpt: `${br}: kind ${l.kind}` })],
      });
    }
    if (!l.up) {
      return fail(`${br} is down on ${s.host}`, {
        expected: 'UP',
        actual: `flags ${l.flags.join(',')}, operstate ${l.operstate}`,
        evidence: [
          sectionEvidence(f, LINKS, { excerpt: `${br}: <${l.flags.join(',')}> state ${l.operstate}` }),
        ],
        hint: { fix: [`ip link set ${br} up`] },
      });
    }
    return pass(`${br} is a bridge and up (mtu ${l.mtu})`);
  },
};

export const bridgeAddress: CheckDef = {
  id: 'bridge.address',
  diagnosis: { breaks: ['address'], rank: 45, explains: ['routes.cluster', 'bridge.unique-address'] },
  scope: 'host',
  needs: ['bridge.exists'],
  title: (s, inv) =>
    `${inv.cluster.bridge} holds ${hostSpec(inv, s.host).bridgeAddress}/${prefixOf(inv.cluster.subnet)}`,
  proves: "The bridge carries the host's inventory address with the cluster subnet's prefix length.",
  whyItFails:
    'The address was never configured, was lost on restart, has the wrong prefix, or is another host’s address.',
  howToFix: 'ip addr add <address>/<prefix> dev lxdbr0 (and make it persistent in the bridge configuration).',
  judge(s, ctx) {
    const f = factsOf(ctx, s.host);
    const inv = ctx.inventory;
    const br = inv.cluster.bridge;
    const want = hostSpec(inv, s.host).bridgeAddress;
    const prefix = prefixOf(inv.cluster.subnet);
    if (!f.addresses) return unreadable(f, ADDRS, 'the addresses');
    const have = ipv4Of(f, br);
    const shown = have.map((a) => `${a.local}/${a.prefixlen}`).join(', ') || 'no IPv4 address';
    const ev = [sectionEvidence(f, ADDRS, { excerpt: `${br}: ${shown}` })];
    const exact = have.find((a) => a.local === want);
    if (!exact) {
      const foreign = have.filter((a) => a.local !== want);
      const fix = [
        ...foreign.map((a) => `ip addr del ${a.local}/${a.prefixlen} dev ${br}`),
        `ip addr add ${want}/${prefix} dev ${br}`,
      ];
      return fail(`${br} on ${s.host} does not hold ${want}: it has ${shown}`, {
        expected: `${want}/${prefix}`,
        actual: shown,
        evidence: ev,
        hint: {
          why: 'Other hosts and containers reach this host at its inventory address; a wrong or missing one splits the L2 subnet.',
          fix,
        },
      });
    }
    if (exact.prefixlen !== prefix) {
      return fail(
        `${br} on ${s.host} holds ${want}/${exact.prefixlen}, but the cluster subnet is ${inv.cluster.subnet}`,
        {
          expected: `${want}/${prefix}`,
          actual: `${want}/${exact.prefixlen}`,
          evidence: ev,
          hint: {
            why: 'With the wrong prefix, addresses of the shared subnet are routed elsewhere instead of reached on the bridge.',
            fix: [
              `ip addr del ${want}/${exact.prefixlen} dev ${br}`,
              `ip addr add ${want}/${prefix} dev ${br}`,
            ],
          },
        },
      );
    }
    if (!inSubnet(want, inv.cluster.subnet)) {
      return fail(`${want} is outside the cluster subnet ${inv.cluster.subnet}`, { evidence: ev });
    }
    const extra = have.filter((a) => a.local !== want && inSubnet(a.local, inv.cluster.subnet));
    if (extra.length > 0) {
      return warn(`${br} on ${s.host} holds ${want} and also ${extra.map((a) => a.local).join(', ')}`, {
        expected: `${want}/${prefix} only`,
        actual: shown,
        evidence: ev,
        hint: {
          why: 'A second cluster address on one bridge often is another host’s address copied by mistake.',
          fix: extra.map((a) => `ip addr del ${a.local}/${a.prefixlen} dev ${br}`),
        },
      });
    }
    return pass(`${br} holds ${want}/${prefix}`);
  },
};

export const bridgeUniqueAddress: CheckDef = {
  id: 'bridge.unique-address',
  diagnosis: { breaks: ['address'], rank: 46 },
  scope: 'cluster',
  title: (_s, inv) => `no two hosts share an address on ${inv.cluster.bridge}`,
  proves: 'Every bridge address in the cluster subnet is held by exactly one host.',
  whyItFails:
    'A host was cloned or misconfigured with another host’s bridge address; ARP then flaps between them.',
  howToFix:
    'Give the host its own inventory address: `ip addr del <dup>/<prefix> dev lxdbr0; ip addr add <own>/<prefix> dev lxdbr0`.',
  judge(_s, ctx) {
    const inv = ctx.inventory;
    const br = inv.cluster.bridge;
    const holders = new Map<string, string[]>();
    const unread: string[] = [];
    for (const h of inv.hosts) {
      const f = ctx.hosts.get(h.name);
      if (!f?.reachable || !f.addresses) {
        unread.push(h.name);
        continue;
      }
      for (const a of ipv4Of(f, br)) {
        if (!inSubnet(a.local, inv.cluster.subnet)) continue;
        holders.set(a.local, [...(holders.get(a.local) ?? []), h.name]);
      }
    }
    const dups = [...holders.entries()].filter(([, hosts]) => hosts.length > 1);
    const note = unread.length > 0 ? ` (not read: ${unread.join(', ')})` : '';
    if (dups.length === 0) return pass(`every ${br} address is unique${note}`);
    const evidence = dups.flatMap(([ip, hosts]) =>
      hosts.map((h) => ({ host: h, command: 'ip -j addr show', note: `${br} holds ${ip}` })),
    );
    const fix: string[] = [];
    for (const [ip, hosts] of dups) {
      for (const h of hosts) {
        const own = inv.hosts.find((x) => x.name === h)?.bridgeAddress;
        if (own && own !== ip) {
          const p = prefixOf(inv.cluster.subnet);
          fix.push(`on ${h}: ip addr del ${ip}/${p} dev ${br} && ip addr add ${own}/${p} dev ${br}`);
        }
      }
    }
    return fail(dups.map(([ip, hosts]) => `${ip} is held by ${hosts.join(' and ')}`).join('; ') + note, {
      expected: 'each address on one host only',
      involves: [...new Set(dups.flatMap(([, hosts]) => hosts))],
      actual: dups.map(([ip, hosts]) => `${ip}: ${hosts.join(', ')}`).join('; '),
      evidence,
      hint: {
        why: 'Two hosts answering ARP for one address make traffic to it go to either, at random.',
        fix,
      },
    });
  },
};

/** The bridge runs at the smallest MTU of its ports; an overlay below the containers' MTU drops full-size frames. */
export const bridgeMtu: CheckDef = {
  id: 'bridge.mtu',
  // Not on a Fan cluster: no L2 overlay there (check.ts judgeCheck).
  l2Overlay: true,
  diagnosis: { breaks: ['mtu'], rank: 70 },
  scope: 'host',
  needs: ['bridge.exists'],
  title: (_s, inv) => `${inv.cluster.overlay.interface} MTU fits the frames on ${inv.cluster.bridge}`,
  proves:
    'The overlay device carries full-size frames from the bridge (its MTU is not below the bridge’s other ports).',
  whyItFails:
    'The VPN set a smaller MTU on its tap (or someone lowered it); containers still send 1500-byte frames, which the tap silently drops.',
  howToFix:
    'ip link set peervpn0 mtu 1500 (and make sure the underlay carries the VPN overhead), or lower the containers’ MTU to match everywhere.',
  judge(s, ctx) {
    const f = factsOf(ctx, s.host);
    const { bridge, overlay } = ctx.inventory.cluster;
    if (!f.links) return unreadable(f, LINKS, 'the network links');
    const ov = link(f, overlay.interface);
    const br = link(f, bridge);
    if (!ov) return pass(`${overlay.interface} is absent (see overlay.exists); nothing to compare`);
    const ports = (bridgePorts(f, bridge) ?? []).filter((p) => p !== overlay.interface);
    const portMtus = ports.map((p) => link(f, p)?.mtu).filter((m): m is number => m !== undefined);
    const needed = Math.max(1500, ...portMtus);
    const shown = `${overlay.interface} ${ov.mtu}, ${bridge} ${br?.mtu ?? '?'}${ports.length ? `, other ports ${ports.map((p) => `${p} ${link(f, p)?.mtu ?? '?'}`).join(', ')}` : ''}`;
    if (ov.mtu < needed) {
      return fail(
        `${overlay.interface} MTU ${ov.mtu} on ${s.host} is below ${needed}: full-size frames across hosts are dropped`,
        {
          expected: `${overlay.interface} mtu >= ${needed}`,
          actual: shown,
          metrics: { mtu: ov.mtu, neededMtu: needed },
          evidence: [sectionEvidence(f, LINKS, { excerpt: shown })],
          hint: {
            why: 'Small packets (ping, DNS) pass while anything that fills a frame (TLS, package downloads, migrations) stalls.',
            fix: [`ip link set ${overlay.interface} mtu ${needed}`],
          },
        },
      );
    }
    return pass(`MTUs fit: ${shown}`, { metrics: { mtu: ov.mtu, neededMtu: needed } });
  },
};

export const bridgeMulticastQuerier: CheckDef = {
  id: 'bridge.multicast-querier',
  scope: 'cluster',
  title: (_s, inv) => `no ${inv.cluster.bridge} snoops IGMP without a querier on the L2`,
  proves:
    'Multicast between containers will not stop after a few minutes because of IGMP snooping with no querier.',
  whyItFails:
    'The kernel enables multicast snooping on new bridges, and nothing on the L2 sends IGMP queries, so group memberships expire.',
  howToFix:
    'echo 1 > /sys/class/net/lxdbr0/bridge/multicast_querier (on one host), or echo 0 > /sys/class/net/lxdbr0/bridge/multicast_snooping on every host.',
  judge(_s, ctx) {
    const br = ctx.inventory.cluster.bridge;
    const path = (x: string) => `/sys/class/net/${br}/bridge/${x}`;
    const read = ctx.inventory.hosts
      .map((h) => ctx.hosts.get(h.name))
      .filter(
        (f): f is NonNullable<typeof f> =>
          f?.reachable === true && f.sysfs[path('multicast_snooping')] !== undefined,
      );
    if (read.length === 0) return skip(`no host's ${br} multicast settings could be read`);
    const querier = read.find((f) => f.sysfs[path('multicast_querier')] === '1');
    if (querier) return pass(`${br} on ${querier.host} is the IGMP querier for the L2`);
    const snooping = read.filter((f) => f.sysfs[path('multicast_snooping')] === '1');
    if (snooping.length === 0)
      return pass(`snooping is off on every ${br}: multicast is flooded to every port`);
    const shown = snooping.map((f) => f.host).join(', ');
    return warn(
      `${br} snoops IGMP on ${shown}, and no bridge on the L2 is a querier: multicast stops after ~260 s`,
      {
        expected: 'multicast_querier=1 on one host, or multicast_snooping=0 everywhere',
        actual: `snooping on ${shown}; querier nowhere`,
        evidence: snooping.map((f) =>
          sectionEvidence(f, SYSFS, {
            excerpt: `multicast_snooping=1 multicast_querier=${f.sysfs[path('multicast_querier')] ?? '?'}`,
          }),
        ),
        hint: {
          why: 'Without IGMP queries, memberships the bridge learned expire and group traffic stops reaching containers (omping’s long test catches it).',
          fix: [
            `echo 1 > ${path('multicast_querier')}   # on one host, e.g. ${ctx.inventory.cluster.dhcp}`,
            // With a querier, a VPN restart leaves the new tap unmarked until its next query (bridge.multicast-router).
            `bridge link set dev ${ctx.inventory.cluster.overlay.interface} mcast_router 2   # and on every host, in the VPN's up-script after brctl addif`,
          ],
        },
      },
    );
  },
};
