/**
 * Bundles for clusters larger than this machine can host: a recorded healthy
 * lab bundle multiplied to N hosts with consistent names and addresses
 * (each host's own outputs rewritten to its identity; the mesh pings, the
 * path-MTU probes and the tinc node list generated for its real peers), and
 * one injected fault: one host's tap is not a port of its bridge, so the
 * pings to and from it fail on both rounds.
 */

import { meshTargets } from '../src/facts/host/mesh.js';
import type { GatherResult, RawOutput } from '../src/facts/types.js';
import { parseInventory } from '../src/inventory/load.js';
import type { Inventory } from '../src/inventory/types.js';

export interface SourceBundle {
  inventoryText: string;
  gathers: ReadonlyMap<string, GatherResult>;
}

const hi = (i: number) => Math.floor(i / 256);
const lo = (i: number) => i % 256;
export const sshAddress = (i: number) => `192.168.${99 + Math.floor((i - 1) / 250)}.${((i - 1) % 250) + 1}`;
export const bridgeAddress = (i: number) => `172.16.${hi(i)}.${lo(i)}`;
const overlayAddress = (i: number) => `10.99.${hi(i)}.${lo(i)}`;
const hex = (n: number) => n.toString(16).padStart(2, '0');

/** The source inventory's cluster part with N hosts and an overlay subnet that holds them. */
export function scaledInventoryText(src: string, n: number): string {
  const head = src.slice(0, src.indexOf('\nhosts:')).replace('subnet: 10.99.0.0/24', 'subnet: 10.99.0.0/16');
  const hosts = Array.from({ length: n }, (_, k) => {
    const i = k + 1;
    return `  - name: lxd${i}\n    ssh: root@${sshAddress(i)}\n    bridgeAddress: ${bridgeAddress(i)}\n    overlayAddress: ${overlayAddress(i)}\n`;
  }).join('');
  return `${head}\nhosts:\n${hosts}`;
}

/** Replace a source host's identity (name, addresses, MACs) in a text with host i's. */
function reidentify(text: string, s: number, i: number): string {
  return text
    .replace(new RegExp(`\\b172\\.16\\.0\\.${s}(?!\\d)`, 'g'), bridgeAddress(i))
    .replace(new RegExp(`\\b192\\.168\\.99\\.${s}(?!\\d)`, 'g'), sshAddress(i))
    .replace(new RegExp(`\\b10\\.99\\.0\\.${s}(?!\\d)`, 'g'), overlayAddress(i))
    .replace(/10\.99\.0\.0\/24/g, '10.99.0.0/16')
    .replace(/("local":"10\.99\.[\d.]+","prefixlen":)24/g, '$116')
    .replace(new RegExp(`02:16:00:00:00:0${s}\\b`, 'g'), `02:16:00:00:${hex(hi(i))}:${hex(lo(i))}`)
    .replace(
      new RegExp(`021600000${s.toString().padStart(3, '0')}\\b`, 'g'),
      `02160000${hex(hi(i))}${hex(lo(i))}`,
    )
    .replace(new RegExp(`\\blxd${s}\\b`, 'g'), `lxd${i}`);
}

function fpingLine(target: string, ok: boolean, count: number): string {
  return `${target} : ${Array.from({ length: count }, (_, k) => (ok ? ['0.210', '0.122', '0.250'][k % 3] : '-')).join(' ')}`;
}

function pingBlock(target: string, mtu: number, ok: boolean): string {
  const size = mtu - 28;
  const head = `PING ${target} (${target}) ${size}(${mtu}) bytes of data.`;
  return ok
    ? `##PING ${target} ${mtu} rc=0\n${head}\n${mtu - 20} bytes from ${target}: icmp_seq=1 ttl=64 time=0.218 ms\n\n--- ${target} ping statistics ---\n1 packets transmitted, 1 received, 0% packet loss, time 0ms\nrtt min/avg/max/mdev = 0.218/0.218/0.218/0.000 ms`
    : `##PING ${target} ${mtu} rc=1\n${head}\n\n--- ${target} ping statistics ---\n1 packets transmitted, 0 received, 100% packet loss, time 0ms\n`;
}

function tincDump(template: string, inv: Inventory, self: number): string {
  const lines = template.split('\n');
  const prefix = (lines[0] ?? '').replace(/:\s.*$/, ':');
  const at = (l: string) => `${prefix} ${l}`;
  const head = lines.slice(0, lines.findIndex((l) => l.endsWith('Nodes:')) + 1);
  const nodes = inv.hosts.map((_, k) => {
    const i = k + 1;
    return i === self
      ? at(
          ` lxd${i} at MYSELF cipher 0 digest 0 maclength 0 compression 0 options c status 0018 nexthop lxd${i} via lxd${i} pmtu 1518 (min 0 max 1518)`,
        )
      : at(
          ` lxd${i} at ${sshAddress(i)} port 655 cipher 427 digest 672 maclength 4 compression 0 options c status 001a nexthop lxd${i} via lxd${i} pmtu 1518 (min 1518 max 1518)`,
        );
  });
  return [
    ...head,
    ...nodes,
    at('End of nodes.'),
    at('Edges:'),
    at('End of edges.'),
    at('Subnet list:'),
    at('End of subnet list.'),
    '',
  ].join('\n');
}

/** N hosts' gathers from a recorded 3-host lab bundle (lxd1 the DHCP host, lxd2 the template for the rest). */
export function multiplyBundle(
  src: SourceBundle,
  n: number,
  faultHost: number,
): { inventoryText: string; gathers: GatherResult[] } {
  const inventoryText = scaledInventoryText(src.inventoryText, n);
  const inv = parseInventory(inventoryText, 'scaled.yaml', { sshConfigText: '' });
  const broken = bridgeAddress(faultHost);
  const gathers = inv.hosts.map((host, k) => {
    const i = k + 1;
    const s = i === 1 ? 1 : 2;
    const tpl = src.gathers.get(`lxd${s}`);
    if (!tpl) throw new Error(`the source bundle has no lxd${s}`);
    const raw: Record<string, RawOutput> = {};
    for (const [name, r] of Object.entries(tpl.raw)) {
      raw[name] = { ...r, stdout: reidentify(r.stdout, s, i), stderr: reidentify(r.stderr, s, i) };
    }
    const targets = meshTargets(inv, host);
    const reaches = (t: string) => i !== faultHost && t !== broken;
    const lossy = targets.filter((t) => !reaches(t));
    const mesh = raw['mesh-ping'];
    if (mesh) {
      const first = targets.map((t) => fpingLine(t, reaches(t), 3)).join('\n');
      const again = lossy.length
        ? `\n##CONFIRM -t 250\n${lossy.map((t) => fpingLine(t, false, 2)).join('\n')}`
        : '';
      raw['mesh-ping'] = {
        ...mesh,
        stdout: '',
        stderr: `${first}${again}\n`,
        exitCode: lossy.length ? 1 : 0,
      };
    }
    const pmtu = raw['pmtu'];
    if (pmtu) {
      const blocks = targets.flatMap((t) =>
        reaches(t)
          ? [pingBlock(t, 1000, true), pingBlock(t, 1500, true)]
          : [
              pingBlock(t, 1000, false),
              pingBlock(t, 1500, false),
              `##PING ${t} route rc=0\n${t} dev lxdbr0 src ${bridgeAddress(i)} uid 0\n    cache `,
            ],
      );
      raw['pmtu'] = { ...pmtu, stdout: `${blocks.join('\n')}\n` };
    }
    const dump = raw['overlay-dump'];
    if (dump) raw['overlay-dump'] = { ...dump, stdout: tincDump(dump.stdout, inv, i) };
    if (i === faultHost) {
      // overlay-not-bridged: the tap exists and tinc runs, but the tap is no port of the bridge.
      const strip = (name: string, f: (t: string) => string) => {
        const r = raw[name];
        if (r) raw[name] = { ...r, stdout: f(r.stdout) };
      };
      strip('brif', (t) => t.replace(/^peervpn0\n/m, ''));
      strip('brctl', (t) => t.replace(/\n\t+peervpn0(?=\n)/, ''));
      strip('links', (t) => {
        const links = JSON.parse(t) as { ifname: string; master?: string }[];
        for (const l of links) if (l.ifname === 'peervpn0') delete l.master;
        return JSON.stringify(links);
      });
      strip('dns-probe', (t) => t.replace(/ (NOERROR|NXDOMAIN)( [\d. ]*)?$/gm, ' TIMEOUT'));
    }
    return { ...tpl, host: host.name, raw };
  });
  return { inventoryText, gathers };
}
