/** multicast.*: group traffic crosses the overlay between containers on different hosts. */

import { CONTAINER_TOOLS, placedContainers } from '../facts/containers.js';
import { MULTICAST, MULTICAST_CONFIRM_SECTION, multicastContainer } from '../facts/multicast.js';
import type { Inventory } from '../inventory/types.js';
import type { Subject } from '../model.js';
import { type CheckDef, fail, type JudgeContext, pass, skip, warn } from './check.js';
import { sectionEvidence } from './util.js';

function multicastFix(host: string | null, inv: Inventory): string[] {
  const br = inv.cluster.bridge;
  if (host === null) {
    return [
      `nft list ruleset; ebtables -L   # on every host: rules dropping multicast (01:00:5e…) frames`,
      `echo 1 > /sys/class/net/${br}/bridge/multicast_querier   # on one host, if snooping prunes the groups`,
    ];
  }
  return [
    `nft list ruleset; ebtables -L   # on ${host}: a rule dropping multicast (01:00:5e…) on ${inv.cluster.overlay.interface} or ${br}`,
    `cat /sys/class/net/${br}/bridge/multicast_snooping   # on ${host}`,
  ];
}

/** The container a host takes part with, or its first running one (to name it in a skip). */
function participant(ctx: JudgeContext, host: string): string | null {
  const f = ctx.hosts.get(host);
  const mc = multicastContainer(f);
  if (mc) return mc;
  return (
    placedContainers(ctx.inventory, ctx.hosts).find((c) => c.host === host && c.info.running)?.name ?? null
  );
}

function subjects(ctx: JudgeContext): Subject[] {
  const hosts = ctx.inventory.hosts.map((h) => h.name).filter((h) => participant(ctx, h) !== null);
  return hosts.flatMap((a) =>
    hosts
      .filter((b) => b !== a)
      .map((b) => ({
        host: a,
        container: participant(ctx, a)!,
        peer: b,
        peerContainer: participant(ctx, b)!,
      })),
  );
}

export const multicastContainers: CheckDef = {
  id: 'multicast.containers',
  diagnosis: { needs: ['l2', 'multicast'], pattern: { breaks: ['multicast'], fix: multicastFix } },
  scope: 'container-pair',
  late: true,
  subjects,
  title: (s) => `multicast from ${s.container}@${s.host} reaches ${s.peerContainer}@${s.peer}`,
  proves: 'A container’s multicast (TTL 1, a 239.x group) is delivered to containers on the other hosts.',
  whyItFails:
    'The VPN does not flood multicast, a filter drops it (ebtables/nftables bridge rules), or IGMP snooping without a querier pruned the group.',
  howToFix:
    'Allow multicast through the overlay; set a querier (bridge.multicast-querier); remove bridge filters that drop 01:00:5e frames.',
  judge(s, ctx) {
    const sender = ctx.hosts.get(s.host ?? '');
    const receiver = ctx.hosts.get(s.peer ?? '');
    const noPython = [s.host, s.peer].find((h) => !multicastContainer(ctx.hosts.get(h ?? '')));
    if (noPython) {
      return skip(
        `no running container on ${noPython} has python3 to take part (install ${CONTAINER_TOOLS['python3']} in one, or run --scenario multicast --allow-mutations to launch a probe container)`,
      );
    }
    const tx = sender?.multicast;
    const rx = receiver?.multicast;
    if (!tx || !rx) {
      const which = !tx ? s.host : s.peer;
      const f = ctx.hosts.get(which ?? '');
      return {
        status: 'error',
        summary: `the multicast probe did not run on ${which}`,
        evidence: f ? [sectionEvidence(f, MULTICAST)] : [],
      };
    }
    const first = rx.received.get(tx.container) ?? 0;
    // A pair that got nothing in the first window was measured again in a short second one (both ends took part).
    const again =
      first === 0 && tx.confirm && rx.confirm
        ? { sent: tx.confirm.sent, received: rx.confirm.received.get(tx.container) ?? 0 }
        : undefined;
    const sent = tx.sent + (again?.sent ?? 0);
    const got = first + (again?.received ?? 0);
    const loss = sent > 0 ? Math.round((100 * (sent - got)) / sent) : 100;
    const text = `${sent} sent, ${got} received, ${loss}% loss`;
    const metrics = { sent, received: got, lossPercent: loss };
    const evidence = [
      sectionEvidence(receiver!, MULTICAST, {
        note: `${s.peerContainer} listening on the group while every host sent`,
      }),
    ];
    if (again)
      evidence.push(
        sectionEvidence(receiver!, MULTICAST_CONFIRM_SECTION, {
          note:
            again.received === 0
              ? `nothing in the first window (${tx.sent} sent) confirmed by a second one: ${again.sent} sent, 0 received`
              : `nothing in the first window (${tx.sent} sent); a second window got ${again.received}/${again.sent}`,
        }),
      );
    // The probe tells senders apart by container name: two containers of one name blur it.
    const sameName =
      placedContainers(ctx.inventory, ctx.hosts).filter((c) => c.name === tx.container).length > 1;
    if (got === 0) {
      return fail(
        `multicast from ${s.container}@${s.host} never reached ${s.peerContainer}@${s.peer} (${text})`,
        {
          expected: '0% loss',
          actual: text,
          evidence,
          metrics,
          ...(sameName ? { cause: { check: 'containers.duplicate-name', subject: {} } } : {}),
          hint: {
            why: 'Service discovery (mDNS), clustering heartbeats and VRRP break across hosts while unicast works.',
            fix: [
              `on ${s.host} and ${s.peer}: nft list ruleset; ebtables -L   # look for rules dropping multicast on the overlay`,
              `echo 1 > /sys/class/net/${ctx.inventory.cluster.bridge}/bridge/multicast_querier   # on one host`,
            ],
          },
        },
      );
    }
    if (loss > 20)
      return warn(`multicast from ${s.container}@${s.host} to ${s.peerContainer}@${s.peer}: ${text}`, {
        evidence,
        metrics,
      });
    return pass(text, { metrics });
  },
};
