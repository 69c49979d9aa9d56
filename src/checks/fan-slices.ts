/** fan.slices: on a Fan cluster, every host maps to its own overlay slice with the same Fan settings. */

import {
  clusterFan,
  fanReason,
  fanSlice,
  inCidr,
  isFanConfig,
  longToIp,
  parseCidr,
  underlayAddress,
} from '../facts/fan.js';
import { type CheckDef, fail, pass } from './check.js';

export const fanSlices: CheckDef = {
  id: 'fan.slices',
  scope: 'cluster',
  subjects: (ctx) => (clusterFan(ctx.hosts).size > 0 ? [{}] : []),
  title: () => 'every host maps to its own Fan overlay slice',
  proves: 'No two hosts claim the same slice of the overlay, and all use one overlay and underlay subnet.',
  whyItFails:
    'Two hosts share the host part of their underlay addresses (different underlay networks, or a /24 map across /16s), or a host was set up with other fan.* values.',
  howToFix:
    'Use one fan.underlay_subnet that covers every host with distinct addresses, and the same fan.overlay_subnet everywhere.',
  judge(_s, ctx) {
    const fans = clusterFan(ctx.hosts);
    const problems: string[] = [];
    const owner = new Map<string, string>();
    const settings = new Set<string>();
    for (const [host, fan] of fans) {
      if (!isFanConfig(fan)) {
        problems.push(`${host}: ${fan?.problem}`);
        continue;
      }
      settings.add(`overlay ${fan.overlay.text}, underlay ${fan.underlay.text}`);
      const u = underlayAddress(fan, ctx.hosts.get(host)?.addresses ?? null);
      const slice = u ? fanSlice(fan, u.local) : null;
      if (!slice) continue;
      // The same slice, or one inside the other (hosts set up with different underlay prefixes).
      const mine = parseCidr(slice.slice);
      const clash = [...owner].find(([other]) => {
        const o = parseCidr(other);
        return mine && o && (inCidr(longToIp(mine.network), o) || inCidr(longToIp(o.network), mine));
      });
      if (clash)
        problems.push(
          clash[0] === slice.slice
            ? `${clash[1]} and ${host} both map to ${slice.slice}`
            : `${clash[1]} (${clash[0]}) and ${host} (${slice.slice}) map to overlapping slices`,
        );
      else owner.set(slice.slice, host);
    }
    if (settings.size > 1) problems.push(`the hosts disagree on the Fan: ${[...settings].join(' vs ')}`);
    const reason = fanReason(ctx.hosts) ?? '';
    if (problems.length > 0)
      return fail(problems.join('; '), {
        hint: {
          why: 'Two hosts on one slice each answer for the same container addresses: traffic reaches one of them at random.',
        },
      });
    return pass(
      `${owner.size} host(s) on ${owner.size} distinct slice(s): ${[...owner].map(([s, h]) => `${h} ${s}`).join(', ')}; ${reason.split(':')[0]}`,
    );
  },
};
