/** The inventory file lxdcheck reads for this lab (format of src/inventory/load.ts). */
import { stringify } from 'yaml';
import {
  BRIDGE,
  BRIDGE_SUBNET,
  DHCP_RANGE,
  DOMAIN,
  OVERLAY_IF,
  OVERLAY_SUBNET,
  PEERVPN_CONF,
  PEERVPN_LOG,
  TINC_LOG,
  TINC_NET,
} from './constants.js';
import type { LabState } from './state.js';

export function labInventoryYaml(state: LabState): string {
  const tinc = state.options.overlay === 'tinc';
  const doc = {
    cluster: {
      name: 'lxlab',
      domain: DOMAIN,
      bridge: BRIDGE,
      subnet: BRIDGE_SUBNET,
      dhcpRange: `${DHCP_RANGE.first},${DHCP_RANGE.last}`,
      overlay: {
        type: state.options.overlay,
        interface: OVERLAY_IF,
        subnet: OVERLAY_SUBNET,
        ...(tinc ? { network: TINC_NET, logFile: TINC_LOG } : {}),
        // The lab's peervpn stand-in logs to a file (no systemd here) and reads the usual config.
        ...(state.options.overlay === 'peervpn' ? { logFile: PEERVPN_LOG, configFile: PEERVPN_CONF } : {}),
      },
      dhcp: state.hosts[0]?.name ?? 'lxd1',
      // An Incus lab names its daemon (its hosts have the lxc client too, which finds no LXD).
      ...(state.options.lxd && state.options.daemon === 'incus' ? { daemon: 'incus' } : {}),
    },
    ssh: { user: 'root', identityFile: state.clientKey, knownHosts: state.knownHosts },
    hosts: state.hosts.map((h) => ({
      name: h.name,
      ssh: `root@${h.underlayAddress}`,
      bridgeAddress: h.bridgeAddress,
      overlayAddress: h.overlayAddress,
    })),
  };
  const overlayName =
    state.options.overlay === 'peervpn' ? 'peervpn (the lab stand-in)' : state.options.overlay;
  const header = `# lxdcheck inventory for the local lab (${state.options.hosts} hosts, ${overlayName}, ${
    state.options.lxd ? (state.options.daemon === 'incus' ? 'Incus' : 'LXD') : 'netns containers'
  }); written by \`lxdcheck lab inventory\`\n`;
  return header + stringify(doc, { lineWidth: 0 });
}
