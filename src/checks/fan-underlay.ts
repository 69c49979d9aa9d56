/** fan.underlay: on a Fan cluster, each host has its underlay address inside fan.underlay_subnet. */

import { INCUS_NETWORK } from '../facts/daemon.js';
import { clusterFan, isFanConfig, underlayAddress } from '../facts/fan.js';
import { ADDRS } from '../facts/host/links.js';
import { LXC_NETWORK } from '../facts/host/lxd.js';
import { type CheckDef, factsOf, fail, pass } from './check.js';
import { sectionEvidence } from './util.js';

export const fanUnderlay: CheckDef = {
  id: 'fan.underlay',
  scope: 'host',
  late: true,
  needs: ['ssh.reachable'],
  // Only on hosts whose bridge is a Fan bridge: other clusters never see this check.
  subjects: (ctx) => [...clusterFan(ctx.hosts).keys()].map((host) => ({ host })),
  title: (s) => `${s.host} has an address inside the Fan's underlay subnet`,
  proves:
    "The Fan maps the host's underlay address to its overlay slice: without one the bridge has no slice.",
  whyItFails:
    'The host was renumbered, or fan.underlay_subnet names another network than the one the hosts share.',
  howToFix:
    'Give the host an address in fan.underlay_subnet, or correct the subnet on the bridge (lxc|incus network set).',
  judge(s, ctx) {
    const f = factsOf(ctx, s.host);
    const fan = clusterFan(ctx.hosts).get(s.host ?? '');
    const ev = [sectionEvidence(f, f.raw[INCUS_NETWORK] ? INCUS_NETWORK : LXC_NETWORK)];
    if (!fan || !isFanConfig(fan))
      return fail(
        `${fan?.bridge ?? 'the bridge'} on ${s.host}: ${fan && !isFanConfig(fan) ? fan.problem : 'not a Fan bridge'}`,
        {
          evidence: ev,
        },
      );
    const a = underlayAddress(fan, f.addresses);
    const all = (f.addresses ?? []).filter((x) => x.family === 'inet' && x.ifname !== 'lo');
    if (!a)
      return fail(`${s.host} has no address inside fan.underlay_subnet ${fan.underlay.text}`, {
        expected: `an IPv4 in ${fan.underlay.text}`,
        actual: all.map((x) => `${x.local}/${x.prefixlen} on ${x.ifname}`).join(', ') || 'no IPv4',
        evidence: [
          ...ev,
          sectionEvidence(f, ADDRS, {
            excerpt: all.map((x) => `${x.ifname} ${x.local}/${x.prefixlen}`).join('\n'),
          }),
        ],
        hint: {
          why: 'Without an underlay address the Fan cannot place this host in the overlay: its containers are cut off.',
        },
      });
    return pass(`${a.local} on ${a.ifname} is inside fan.underlay_subnet ${fan.underlay.text}`);
  },
};
