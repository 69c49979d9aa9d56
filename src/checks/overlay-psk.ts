/**
 * overlay.psk: every peervpn host uses the same pre-shared key and network
 * name. The psk is compared by keyed fingerprints taken on each host with
 * this run's random key (sections.ts peervpnPskSection): the psk itself
 * never leaves its host, and a fingerprint is worthless outside the run.
 */

import type { Evidence } from '../model.js';
import { type CheckDef, fail, pass, skip } from './check.js';
import {
  copyFix,
  networknameGroups,
  peervpnConfPath,
  pskEvidence,
  pskGroups,
  type ValueGroups,
} from './peervpn-config.js';

function describe(g: ValueGroups, show: (value: string) => string): string {
  return [...g.groups.entries()].map(([v, hosts]) => `${hosts.join(', ')}: ${show(v)}`).join('; ');
}

export const overlayPsk: CheckDef = {
  id: 'overlay.psk',
  // Not on a Fan cluster: no L2 overlay there (check.ts judgeCheck).
  l2Overlay: true,
  scope: 'cluster',
  // A host with another psk is cut off from the L2: every pair and peer count touching it follows.
  diagnosis: { breaks: ['l2'], rank: 25, explains: ['overlay.peers'] },
  title: () => 'every peervpn host has the same networkname and psk',
  proves:
    'All hosts share the pre-shared key and network name peervpn really reads from its config (after its own comment rules), compared by keyed fingerprints (the hosts never send their psk).',
  whyItFails:
    'The pre-shared key or networkname was changed on one host only, or mistyped; a `#` or `;` inside a pre-shared key silently cuts it. peervpn prints nothing about it: that host stays at 0 peers.',
  howToFix:
    'Copy the `psk` line from a healthy host’s /etc/peervpn/peervpn.conf to the odd one, then restart peervpn there.',
  judge(_s, ctx) {
    const inv = ctx.inventory;
    if (inv.cluster.overlay.type !== 'peervpn')
      return skip(`the overlay is ${inv.cluster.overlay.type}, not peervpn`);
    const evidence: Evidence[] = [];
    for (const h of inv.hosts) {
      const f = ctx.hosts.get(h.name);
      const e = f?.reachable ? pskEvidence(f) : null;
      if (e) evidence.push(e);
    }
    const psk = pskGroups(ctx);
    const names = networknameGroups(ctx);
    const notCompared = psk.unknown.map((u) => `${u.host} (${u.reason})`);
    const conf = peervpnConfPath(inv);
    // Fingerprints are shown shortened: enough to compare by eye, and they mean nothing outside this run.
    const shown = describe(psk, (v) => (v === 'none' ? 'no `psk` line' : `${v.slice(0, 12)}…`));

    if (psk.groups.size > 1) {
      if (psk.odd.length > 0) {
        return fail(
          `the pre-shared key (psk) on ${psk.odd.join(', ')} differs from the one on ${psk.majority.join(', ')}`,
          {
            expected: 'one fingerprint of the psk, on every host',
            actual: shown,
            evidence,
            involves: psk.odd,
            hint: {
              why: 'Hosts with different psks never connect, and peervpn logs nothing about it: the odd host sits at 0 peers re-resolving its initpeers.',
              fix: psk.odd.flatMap((h) => copyFix(inv, h, psk.majority[0], 'psk')),
            },
          },
        );
      }
      const all = [...psk.groups.values()].flat();
      return fail(
        `the pre-shared keys (psks) of ${all.join(' and ')} differ, and no majority tells which is right`,
        {
          expected: 'one fingerprint of the psk, on every host',
          actual: shown,
          evidence,
          involves: all,
          hint: {
            why: 'Hosts with different psks never connect.',
            fix: [
              `make the \`psk\` line of ${conf} the same on ${all.join(', ')} (over a secure channel)`,
              'then restart peervpn on each host you changed',
            ],
          },
        },
      );
    }
    if (names.groups.size > 1) {
      const odd = names.odd.length > 0 ? names.odd : [...names.groups.values()].flat();
      return fail(
        names.odd.length > 0
          ? `networkname on ${names.odd.join(', ')} differs from the one on ${names.majority.join(', ')}`
          : `networkname differs between ${odd.join(' and ')}`,
        {
          expected: 'one networkname on every host',
          actual: describe(names, (v) => v),
          involves: odd,
          hint: {
            why: 'peervpn connects only peers of the same network (its Network ID derives from the name).',
            fix:
              names.odd.length > 0
                ? names.odd.flatMap((h) => copyFix(inv, h, names.majority[0], 'networkname'))
                : [
                    `make the \`networkname\` line of ${conf} the same on ${odd.join(', ')}, then restart peervpn`,
                  ],
          },
        },
      );
    }
    const compared = [...psk.groups.values()].flat();
    if (compared.length < 2) {
      return skip(
        `fewer than two fingerprints (psk) to compare${notCompared.length ? `: none from ${notCompared.join(', ')}` : ''}`,
      );
    }
    const value = [...psk.groups.keys()][0];
    const which = value === 'none' ? 'no `psk` line on any of them' : 'the same fingerprint of the psk,';
    return pass(
      `${which} on ${compared.join(', ')} (keyed with this run's random key; the hosts never sent their psk)${
        notCompared.length ? `; not compared: ${notCompared.join(', ')}` : ''
      }`,
      { evidence },
    );
  },
};
