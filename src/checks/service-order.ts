/**
 * service-order.*: the post-reboot failure. The VPN's up-script adds its tap
 * to the bridge once, at start; if the bridge did not exist yet, the tap
 * stays out for good while the VPN happily reports its peers.
 */

import { SYSTEMD, unitsOfInterest } from '../facts/host/services.js';
import type { HostFacts } from '../facts/host-facts.js';
import type { Inventory } from '../inventory/types.js';
import type { Evidence } from '../model.js';
import { type CheckDef, factsOf, fail, pass, skip, warn } from './check.js';
import { serviceOrderEvidence } from './overlay.js';
import { bridgePorts, sectionEvidence } from './util.js';

/** Units that create the bridge, in the order lxdcheck looks for them. */
const BRIDGE_UNITS = ['lxd-bridge.service', 'lxd.service', 'snap.lxd.daemon.service'];

function monotonic(u: Record<string, string> | undefined, key: string): number | null {
  const v = u?.[key];
  return v && /^\d+$/.test(v) && v !== '0' ? Number(v) : null;
}

export function dropInFor(inv: Inventory, vpnUnit: string, bridgeUnit: string): string[] {
  const dev = `sys-subsystem-net-devices-${inv.cluster.bridge}.device`;
  return [
    `mkdir -p /etc/systemd/system/${vpnUnit}.d`,
    `printf '[Unit]\\nAfter=${bridgeUnit} ${dev}\\nWants=${bridgeUnit}\\nBindsTo=${dev}\\n' > /etc/systemd/system/${vpnUnit}.d/10-after-${inv.cluster.bridge}.conf`,
    'systemctl daemon-reload',
  ];
}

interface OrderFacts {
  vpnUnit: string;
  bridgeUnit: string | null;
  /** The VPN became active before the bridge's unit did (monotonic µs since boot). */
  vpnFirst: boolean | null;
  /** The VPN unit is ordered after the bridge (After= names it or the bridge device). */
  ordered: boolean | null;
  notes: string[];
}

function orderFacts(f: HostFacts, inv: Inventory): OrderFacts {
  const vpnUnit = unitsOfInterest(inv)[0] ?? 'peervpn.service';
  const notes: string[] = [];
  if (!f.units)
    return {
      vpnUnit,
      bridgeUnit: null,
      vpnFirst: null,
      ordered: null,
      notes: ['systemd is not PID 1: unit order unknown'],
    };
  const vpn = f.units.get(vpnUnit);
  const bridgeUnit = BRIDGE_UNITS.find((u) => f.units?.get(u)?.['LoadState'] === 'loaded') ?? null;
  const br = bridgeUnit ? f.units.get(bridgeUnit) : undefined;
  const vpnAt =
    monotonic(vpn, 'ActiveEnterTimestampMonotonic') ?? monotonic(vpn, 'ExecMainStartTimestampMonotonic');
  const brAt = monotonic(br, 'ActiveEnterTimestampMonotonic');
  const vpnFirst = vpnAt !== null && brAt !== null ? vpnAt < brAt : null;
  if (vpnAt !== null && brAt !== null) {
    notes.push(
      `${vpnUnit} active at ${(vpnAt / 1e6).toFixed(1)} s after boot, ${bridgeUnit} at ${(brAt / 1e6).toFixed(1)} s`,
    );
  }
  const after = `${vpn?.['After'] ?? ''} ${vpn?.['Requires'] ?? ''} ${vpn?.['BindsTo'] ?? ''}`.split(/\s+/);
  const ordered =
    vpn?.['LoadState'] === 'loaded'
      ? after.includes(`sys-subsystem-net-devices-${inv.cluster.bridge}.device`) ||
        (bridgeUnit !== null && after.includes(bridgeUnit))
      : null;
  if (ordered === false)
    notes.push(`${vpnUnit} has no After= on ${bridgeUnit ?? 'the bridge'} or its device`);
  return { vpnUnit, bridgeUnit, vpnFirst, ordered, notes };
}

export const serviceOrder: CheckDef = {
  id: 'service-order.vpn-after-bridge',
  // Not on a Fan cluster: no L2 overlay there (check.ts judgeCheck).
  l2Overlay: true,
  diagnosis: { breaks: ['l2'], rank: 35, explains: ['overlay.member'] },
  scope: 'host',
  needs: ['bridge.exists', 'overlay.exists'],
  title: (_s, inv) => `the VPN starts after ${inv.cluster.bridge} exists (post-reboot order)`,
  proves: 'After a reboot the VPN’s up-script will find the bridge, so its tap joins it.',
  whyItFails:
    'peervpn’s `upcmd brctl addif lxdbr0 peervpn0` (or tinc-up) runs once when the VPN starts; at boot the VPN often starts before LXD has created lxdbr0, the command fails with `bridge lxdbr0 does not exist!` and is never retried.',
  howToFix:
    'A systemd drop-in ordering the VPN after the bridge (After=/BindsTo= on the bridge unit and sys-subsystem-net-devices-lxdbr0.device), or for LXD-managed bridges `lxc network set lxdbr0 bridge.external_interfaces peervpn0`; right now: `ip link set peervpn0 master lxdbr0`.',
  judge(s, ctx) {
    const f = factsOf(ctx, s.host);
    const inv = ctx.inventory;
    const { bridge, overlay } = inv.cluster;
    const member = (bridgePorts(f, bridge) ?? []).includes(overlay.interface);
    const o = orderFacts(f, inv);
    const logEvidence = serviceOrderEvidence(f);
    const evidence: Evidence[] = [...logEvidence];
    if (f.units) evidence.push(sectionEvidence(f, SYSTEMD, { excerpt: o.notes.join('\n') || undefined }));
    const uptime = f.uptimeSeconds !== null ? ` (host up ${Math.round(f.uptimeSeconds)} s)` : '';
    const fixNow = `ip link set ${overlay.interface} master ${bridge}`;
    const fixForGood = f.lxdNetwork?.managed
      ? [`lxc network set ${bridge} bridge.external_interfaces ${overlay.interface}`]
      : overlay.type === 'vxlan'
        ? ['# create the vxlan device from the same unit that creates the bridge, after it']
        : dropInFor(inv, o.vpnUnit, o.bridgeUnit ?? 'lxd.service');
    // systemctl show that hung (killed at its bound), failed or never ran is not "no systemd" (exit 3):
    // the order is unknown, so this check cannot pass on it.
    const sys = f.raw[SYSTEMD];
    const unread =
      !sys || (sys.exitCode !== 0 && sys.exitCode !== 3)
        ? `systemctl show was not read on ${s.host} (${!sys ? 'not run' : sys.timedOut ? 'timed out' : `exit ${sys.exitCode}`})`
        : null;
    if (!member) {
      const causes: string[] = [];
      if (f.vpnLog?.bridgeMissing)
        causes.push(`the VPN log says the bridge did not exist when its up-script ran`);
      if (o.vpnFirst) causes.push(`${o.vpnUnit} started before ${o.bridgeUnit}`);
      if (causes.length === 0) {
        if (unread) return skip(`${unread}: the start order is unknown`);
        return pass(
          `${overlay.interface} is not a port of ${bridge}, but not because of start order: the up-script did not fail (removed by hand, or the bridge was re-created?)`,
          { evidence },
        );
      }
      return fail(
        `service order on ${s.host}: ${causes.join('; ')}, so ${overlay.interface} never joined ${bridge}${uptime}`,
        {
          expected: `${o.vpnUnit} started after ${bridge} exists`,
          actual: causes.join('; '),
          evidence,
          hint: {
            why: 'The VPN connects its peers but its tap is not on the bridge: containers on this host and on the others cannot reach each other, and it comes back after every reboot.',
            fix: [`${fixNow}   # now`, ...fixForGood.map((l) => `${l}   # for good`)],
          },
        },
      );
    }
    // Latent: the running instance's up-script failed (the bridge did not exist yet), and the tap
    // was put on the bridge by hand since. It works until the VPN restarts before the bridge again.
    const failedLine =
      f.vpnLog?.upcmdErrors.find((l) => /does not exist/i.test(l)) ?? 'the bridge did not exist';
    if (f.vpnLog?.bridgeMissing && o.ordered !== true) {
      return warn(
        `${overlay.interface} is on ${bridge} now, but the running VPN's up-script failed when it started (\`${failedLine}\`): the tap was added by hand, and the next reboot may leave it off the bridge again`,
        {
          expected: `${o.vpnUnit} started after ${bridge} exists, its up-script adding ${overlay.interface}`,
          actual: [`up-script: ${failedLine}`, ...o.notes].join('; '),
          evidence,
          hint: {
            why: 'It works now only because someone added the tap by hand; the up-script runs once per start and is never retried.',
            fix: fixForGood,
          },
        },
      );
    }
    if (unread) return skip(`${unread}: the start order is unknown`);
    if (o.ordered === false && overlay.type !== 'vxlan' && !f.lxdNetwork?.managed) {
      return warn(
        `${overlay.interface} is on ${bridge} now, but nothing orders ${o.vpnUnit} after the bridge: the next reboot may break it`,
        {
          expected: `${o.vpnUnit} After=${o.bridgeUnit ?? 'lxd.service'}`,
          actual: o.notes.join('; '),
          evidence,
          hint: { why: 'It worked this time because of timing.', fix: fixForGood },
        },
      );
    }
    return pass(
      o.ordered
        ? `${o.vpnUnit} is ordered after the bridge${f.vpnLog?.bridgeMissing ? ` (the running instance's up-script failed before that order was set: \`${failedLine}\`; restart it once to confirm)` : ''}`
        : `${overlay.interface} is on ${bridge}; ${o.notes[0] ?? 'start order is fine'}`,
    );
  },
};
