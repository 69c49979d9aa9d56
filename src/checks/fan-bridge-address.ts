/** fan.bridge-address: the Fan bridge holds the address the Fan mapping gives this host. */

import { clusterFan, fanSlice, isFanConfig, underlayAddress } from '../facts/fan.js';
import { ADDRS } from '../facts/host/links.js';
import { type CheckDef, factsOf, fail, pass, skip } from './check.js';
import { sectionEvidence } from './util.js';

export const fanBridgeAddress: CheckDef = {
  id: 'fan.bridge-address',
  scope: 'host',
  late: true,
  needs: ['fan.underlay@host'],
  subjects: (ctx) => [...clusterFan(ctx.hosts).keys()].map((host) => ({ host })),
  title: (s) => `${s.host}'s Fan bridge holds the address its underlay address maps to`,
  proves:
    "The bridge is the gateway of this host's overlay slice, where the other hosts' Fan routes send it.",
  whyItFails:
    'The underlay address changed since the bridge came up (the slice moved), or the bridge was configured by hand.',
  howToFix:
    'Restart the daemon (it recomputes the Fan address), or bring the host back to its underlay address.',
  judge(s, ctx) {
    const f = factsOf(ctx, s.host);
    const fan = clusterFan(ctx.hosts).get(s.host ?? '');
    if (!fan || !isFanConfig(fan)) return skip('no usable Fan configuration (fan.underlay says why)');
    const u = underlayAddress(fan, f.addresses);
    const slice = u ? fanSlice(fan, u.local) : null;
    if (!u || !slice) return skip('no underlay address (fan.underlay says why)');
    const held = (f.addresses ?? []).filter((a) => a.ifname === fan.bridge && a.family === 'inet');
    const shown = held.map((a) => `${a.local}/${a.prefixlen}`).join(', ') || 'no IPv4';
    const ev = [sectionEvidence(f, ADDRS, { excerpt: `${fan.bridge}: ${shown}` })];
    if (held.some((a) => a.local === slice.bridgeAddress))
      return pass(
        `${fan.bridge} holds ${slice.bridgeAddress} (slice ${slice.slice} from underlay ${u.local})`,
        {
          evidence: ev,
        },
      );
    return fail(
      `${fan.bridge} on ${s.host} has ${shown}, not ${slice.bridgeAddress} that ${u.local} maps to (slice ${slice.slice})`,
      {
        expected: slice.bridgeAddress,
        actual: shown,
        evidence: ev,
        hint: {
          why: "The other hosts route this host's slice to its underlay address; a bridge outside the slice answers none of it.",
          fix: [
            `ip addr show ${fan.bridge}   # on ${s.host}`,
            'systemctl restart incus   # or lxd: the Fan address is recomputed',
          ],
        },
      },
    );
  },
};
