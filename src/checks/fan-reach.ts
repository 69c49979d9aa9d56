/** fan.reach: on a Fan cluster, containers reach containers on the other hosts (through the Fan's routes). */

import { placedContainers } from '../facts/containers.js';
import { clusterFan } from '../facts/fan.js';
import { type CheckDef, fail, pass, skip } from './check.js';

export const fanReach: CheckDef = {
  id: 'fan.reach',
  scope: 'cluster',
  subjects: (ctx) => (clusterFan(ctx.hosts).size > 0 ? [{}] : []),
  title: () => 'containers reach containers on the other hosts across the Fan',
  proves: 'Each container probe reached the sampled containers of other hosts by address, across the Fan.',
  whyItFails:
    'A host is missing from the Fan (no slice, wrong underlay), or the underlay drops the Fan encapsulation (vxlan UDP or ipip).',
  howToFix:
    'Look at fan.underlay, fan.bridge-address and fan.slices for the hosts named; then the underlay between them.',
  judge(_s, ctx) {
    const all = placedContainers(ctx.inventory, ctx.hosts);
    const where = new Map(all.flatMap((c) => c.info.ipv4.map((ip) => [ip, c] as const)));
    let tried = 0;
    const failed: string[] = [];
    for (const f of ctx.hosts.values()) {
      for (const p of f.containerProbes) {
        for (const [ip, r] of p.byIp) {
          const target = where.get(ip);
          if (!target || target.host === f.host) continue;
          tried++;
          if (r.received === 0)
            failed.push(`${p.container}@${f.host} -> ${target.name}@${target.host} (${ip})`);
        }
      }
    }
    if (tried === 0)
      return skip(
        'no container probe reached across hosts was made (no running containers with ping on two hosts)',
      );
    if (failed.length > 0)
      return fail(`${failed.length} of ${tried} cross-host container pings failed: ${failed.join(', ')}`);
    return pass(`${tried} cross-host container pings answered`);
  },
};
