/** services: the systemd units that explain a post-reboot failure (state and ordering) and the VPN unit's journal. */
import type { Inventory } from '../../inventory/types.js';
import { quoteArg as q } from '../../transport/quote.js';
import type { HostFacts } from '../host-facts.js';
import { parseSystemctlShowMany } from '../parsers/system.js';
import type { Section } from '../script.js';
import type { RawOutput } from '../types.js';

/** `systemctl show` of unitsOfInterest; exits 3 where systemd is not PID 1. */
export const SYSTEMD = 'systemd';
export const JOURNAL_VPN = 'journal-vpn';

/** Units whose state and ordering explain the post-reboot failure. */
export function unitsOfInterest(inv: Inventory): string[] {
  const o = inv.cluster.overlay;
  const vpnUnit =
    o.unit ??
    (o.type === 'peervpn'
      ? 'peervpn.service'
      : o.type === 'tinc'
        ? `tinc@${o.network ?? 'lxd'}.service`
        : '');
  return [vpnUnit, 'lxd.service', 'lxd-bridge.service', 'snap.lxd.daemon.service', 'dnsmasq.service'].filter(
    (u) => u !== '',
  );
}

export function serviceSections(inv: Inventory): Section[] {
  const units = unitsOfInterest(inv);
  return [
    {
      name: SYSTEMD,
      shell: `if [ -d /run/systemd/system ]; then systemctl show -p Id,LoadState,ActiveState,SubState,UnitFileState,ExecMainStartTimestampMonotonic,ActiveEnterTimestampMonotonic,After,Requires,Wants,BindsTo -- ${units.map(q).join(' ')}; else echo 'lxdcheck: systemd is not PID 1' >&2; exit 3; fi`,
      timeoutSeconds: 5,
      wrapTimeout: false,
    },
    {
      name: JOURNAL_VPN,
      shell: `if [ -d /run/systemd/system ]; then journalctl -b -o short-monotonic --no-pager -n 200 ${q(`--unit=${units[0] ?? 'peervpn.service'}`)}; else exit 3; fi`,
      timeoutSeconds: 8,
      wrapTimeout: false,
    },
  ];
}

export function serviceFacts(raw: Record<string, RawOutput>): Pick<HostFacts, 'units'> {
  const systemd = raw[SYSTEMD];
  return {
    units:
      systemd && systemd.exitCode === 0
        ? new Map(parseSystemctlShowMany(systemd.stdout).map((u) => [u['Id'] ?? '', u] as const))
        : null,
  };
}
