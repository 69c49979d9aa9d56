/**
 * containers.daemon: on a host where both LXD and Incus run and the inventory
 * names neither, which daemon the host is judged by (the one that holds the
 * containers), once the probe stage has listed both. Elsewhere
 * containers.listed states the daemon and why.
 */

import { daemonLabel, LXC_LIST_OTHER } from '../facts/daemon.js';
import { LXC_LIST } from '../facts/host/lxd.js';
import { type CheckDef, factsOf, fail, pass } from './check.js';
import { sectionEvidence } from './util.js';

export const containersDaemon: CheckDef = {
  id: 'containers.daemon',
  scope: 'host',
  late: true,
  needs: ['ssh.reachable'],
  title: (s) => `${s.host} is judged by the daemon that holds its containers`,
  proves: 'Of LXD and Incus, both present on the host, the one holding the containers is the one checked.',
  whyItFails: 'Neither client answers its list: both daemons are stopped or hung.',
  howToFix: 'Start the daemon that holds the containers, or name it with daemon: lxd|incus in the inventory.',
  subjects: (ctx) =>
    [...ctx.hosts.values()].filter((f) => f.raw[LXC_LIST_OTHER] !== undefined).map((f) => ({ host: f.host })),
  judge(s, ctx) {
    const f = factsOf(ctx, s.host);
    const d = f.daemon;
    const evidence = [sectionEvidence(f, LXC_LIST), sectionEvidence(f, LXC_LIST_OTHER)];
    if (f.containers === null || d.daemon === null)
      return fail(`neither lxc nor incus lists the containers on ${s.host} (${d.why})`, {
        evidence,
        hint: { fix: ['systemctl restart incus   # or lxd, whichever holds the containers'] },
      });
    const running = f.containers.filter((c) => c.running).length;
    return pass(
      `${f.containers.length} containers, ${running} running (${daemonLabel(d.daemon)} via ${d.client}; ${d.why})`,
      { evidence },
    );
  },
};
