/** Parser for the legacy LXD 2.x `/etc/default/lxd-bridge` (a shell fragment). */
import type { LxdBridgeDefaults } from '../types.js';
import { splitLines } from './text.js';

/** `KEY="value"`, `KEY='value'` or `KEY=value  # comment`, optionally after `export`. */
const ASSIGNMENT = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(?:"([^"]*)"|'([^']*)'|([^\s#]*))/;

/** The secondary-host trick: `alias dnsmasq=...` makes the script's dnsmasq call a no-op. */
const DNSMASQ_ALIAS = /^alias\s+dnsmasq=/;

export function parseLxdBridgeDefaults(text: string): LxdBridgeDefaults {
  const values: Record<string, string> = {};
  let dnsmasqAliasedAway = false;
  for (const raw of splitLines(text)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (DNSMASQ_ALIAS.test(line)) {
      dnsmasqAliasedAway = true;
      continue;
    }
    const m = ASSIGNMENT.exec(line);
    if (m) values[m[1]!] = m[2] ?? m[3] ?? m[4] ?? '';
  }
  // The script does nothing unless USE_LXD_BRIDGE is true, and starts dnsmasq
  // only when the IPv4 address, netmask and network are all set.
  const startsDnsmasq =
    values['USE_LXD_BRIDGE'] === 'true' &&
    ['LXD_IPV4_ADDR', 'LXD_IPV4_NETMASK', 'LXD_IPV4_NETWORK'].every((k) => (values[k] ?? '') !== '');
  return { values, dnsmasqAliasedAway, startsDnsmasq };
}
