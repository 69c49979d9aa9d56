/**
 * The inventory's cross-checks, over the values the schema accepted one by
 * one (so every problem in the file is found in one go, not only the first):
 * addresses inside their subnet and not its network or broadcast address, no
 * name or address used twice, dhcp naming a host, ssh required unless the
 * host is local, the overlay interface's default, and each host's SSH
 * settings resolved with ~/.ssh/config (a bad Port there is the host's problem).
 */
import path from 'node:path';
import SSHConfig from 'ssh-config';
import type { Node } from 'yaml';
import { didYouMean } from './errors.js';
import { type Cidr, ipv4ToLong, reservedAddress } from './ip.js';
import type { Problems } from './messages.js';
import { ClusterSchema, HostSchema, OverlaySchema, SshSchema, validFields } from './schema.js';
import { expandPath, type ResolveEnv, resolveSsh, SshConfigProblem, type SshLayer } from './ssh.js';
import type { SshSpec } from './types.js';
import { lineNote, type Path, placeOf } from './yaml-tree.js';

export interface CheckOptions {
  file: string;
  homeDir: string;
  localUser: string;
  sshConfigText?: string | undefined;
  readSshConfig?: ((file: string | undefined) => string | undefined) | undefined;
}

/** What the cross-checks worked out beyond the schema's values. */
export interface Resolved {
  /** As written, or the overlay type's default (peervpn0, the tinc network). */
  overlayInterface?: string;
  /** Each host's SSH settings, by host index (when its fields were valid). */
  ssh: (SshSpec | undefined)[];
  /** ssh.knownHosts expanded. */
  knownHosts?: string;
}

type Raw = Record<string, unknown>;

function mapping(v: unknown): Raw | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Raw) : undefined;
}

export function crossCheck(root: Raw, problems: Problems, opts: CheckOptions): Resolved {
  const out: Resolved = { ssh: [] };
  const node = (p: Path): Node | null => placeOf(problems.tree, p)?.value ?? null;

  // ---- cluster ----
  const rawCluster = mapping(root['cluster']);
  const cluster = validFields(ClusterSchema, rawCluster)?.values;
  const subnet = cluster?.subnet;
  if (cluster?.dhcpRange) checkDhcpRange(problems, cluster.dhcpRange, subnet, node(['cluster', 'dhcpRange']));
  const rawOverlay = mapping(rawCluster?.['overlay']);
  const overlay = validFields(OverlaySchema, rawOverlay)?.values;
  if (overlay && rawOverlay) {
    const iface = overlayInterface(problems, overlay, rawOverlay);
    if (iface !== undefined) out.overlayInterface = iface;
  }

  // ---- ssh defaults ----
  const ssh = validFields(SshSchema, root['ssh'])?.values ?? {};
  const defaults: SshLayer = {};
  if (ssh.user) defaults.user = ssh.user;
  if (ssh.identityFile) defaults.identityFiles = ssh.identityFile;
  if (ssh.sudo !== undefined) defaults.sudo = ssh.sudo;
  if (ssh.proxyJump) defaults.proxyJump = ssh.proxyJump;
  const { homeDir, localUser } = opts;
  if (ssh.knownHosts) out.knownHosts = expandPath(ssh.knownHosts, { u: localUser }, homeDir);
  // ssh -F FILE: relative to the inventory file, like the other paths in it.
  const sshConfigFile = ssh.config
    ? path.resolve(path.dirname(opts.file), expandPath(ssh.config, { u: localUser }, homeDir))
    : undefined;
  const env: ResolveEnv = { homeDir, localUser };
  const configText = opts.sshConfigText ?? opts.readSshConfig?.(sshConfigFile);
  if (configText !== undefined) env.config = SSHConfig.parse(configText);

  // ---- hosts ----
  const names = new Map<string, Node | null>();
  const seen = { bridgeAddress: new Map<string, Seen>(), overlayAddress: new Map<string, Seen>() };
  const hosts = Array.isArray(root['hosts']) ? (root['hosts'] as unknown[]) : [];
  for (const [i, raw] of hosts.entries()) {
    const host = checkHost(problems, mapping(raw), i, {
      subnet,
      overlaySubnet: overlay?.subnet,
      defaults,
      env,
    });
    if (!host) continue;
    if (sshConfigFile !== undefined && host.ssh?.inventory) host.ssh.inventory.configFile = sshConfigFile;
    out.ssh[i] = host.ssh;
    if (host.name) {
      const nameNode = node(['hosts', i, 'name']);
      const prev = names.get(host.name);
      if (prev !== undefined) {
        const first = prev ? lineNote(problems.lc, prev) : '';
        problems.add(nameNode, `hosts[${i}].name`, `duplicate host name "${host.name}" (first used${first})`);
      } else names.set(host.name, nameNode);
    }
    for (const key of ['bridgeAddress', 'overlayAddress'] as const) {
      const ip = host[key];
      if (!ip) continue;
      const here = node(['hosts', i, key]);
      const prev = seen[key].get(ip);
      if (prev) {
        const where = prev.node ? lineNote(problems.lc, prev.node) : '';
        problems.add(here, `hosts[${i}].${key}`, `${ip} is already the ${key} of ${prev.field}${where}`);
      } else seen[key].set(ip, { field: `hosts[${i}]`, node: here });
    }
  }

  const dhcp = cluster?.dhcp;
  if (dhcp && names.size > 0 && !names.has(dhcp)) {
    const known = [...names.keys()];
    const guess = didYouMean(dhcp, known);
    problems.add(
      node(['cluster', 'dhcp']),
      'cluster.dhcp',
      `"${dhcp}" is not one of the hosts (${known.join(', ')})${guess ? `; did you mean "${guess}"?` : ''}`,
    );
  }
  return out;
}

interface Seen {
  field: string;
  node: Node | null;
}

function checkDhcpRange(
  problems: Problems,
  range: { first: string; last: string },
  subnet: Cidr | undefined,
  node: Node | null,
): void {
  const field = 'cluster.dhcpRange';
  const problem = subnet && (rangeEndProblem(range.first, subnet) ?? rangeEndProblem(range.last, subnet));
  if (problem) {
    problems.add(node, field, problem);
    return;
  }
  if (ipv4ToLong(range.first) > ipv4ToLong(range.last)) {
    problems.add(
      node,
      field,
      `${range.first} comes after ${range.last}; write the lower address first: ${range.last},${range.first}`,
    );
  }
}

function rangeEndProblem(ip: string, subnet: Cidr): string | undefined {
  if (!subnet.net.contains(ip)) return `${ip} is not inside cluster.subnet ${subnet.text}`;
  const reserved = reservedAddress(subnet, ip);
  return reserved ? `${ip} is the ${reserved} address of cluster.subnet ${subnet.text}` : undefined;
}

/** The overlay device: as written, else peervpn0 for peervpn or the network's name for tinc. */
function overlayInterface(
  problems: Problems,
  overlay: Partial<ReturnType<typeof OverlaySchema.parse>>,
  raw: Raw,
): string | undefined {
  if (overlay.interface !== undefined || raw['interface'] !== undefined || overlay.type === undefined)
    return overlay.interface;
  // peervpn's examples name the tap peervpn0; tincd names it after the network
  // (-n NAME); a vxlan device has no conventional name, so it must be given.
  if (overlay.type === 'peervpn') return 'peervpn0';
  const network = raw['network'];
  if (overlay.type === 'tinc' && typeof network === 'string' && network.trim() !== '') return network;
  problems.missing(
    ['cluster', 'overlay', 'interface'],
    overlay.type === 'tinc'
      ? 'the tinc tap device that is a port of the bridge (or set overlay.network, whose name tincd uses)'
      : 'the vxlan device that is a port of the bridge, e.g. vxlan0',
  );
  return undefined;
}

/** An address inside `subnet` (when known) that is not its network or broadcast address. */
function insideSubnet(
  problems: Problems,
  ip: string,
  p: Path,
  subnet: Cidr | undefined,
  subnetField: string,
): boolean {
  if (!subnet) return true;
  const node = placeOf(problems.tree, p)?.value;
  const field = `hosts[${p[1]}].${p[2]}`;
  const range = `${subnet.net.first} .. ${subnet.net.last}`;
  if (!subnet.net.contains(ip)) {
    problems.add(node, field, `${ip} is not inside ${subnetField} ${subnet.text} (expected ${range})`);
    return false;
  }
  const reserved = reservedAddress(subnet, ip);
  if (reserved) {
    problems.add(
      node,
      field,
      `${ip} is the ${reserved} address of ${subnetField} ${subnet.text}; use a host address ${range}`,
    );
    return false;
  }
  return true;
}

interface HostContext {
  subnet: Cidr | undefined;
  overlaySubnet: Cidr | undefined;
  defaults: SshLayer;
  env: ResolveEnv;
}

interface CheckedHost {
  /** Set only when valid, for the duplicate checks. */
  name?: string;
  bridgeAddress?: string;
  overlayAddress?: string;
  ssh?: SshSpec;
}

function checkHost(
  problems: Problems,
  raw: Raw | undefined,
  i: number,
  hc: HostContext,
): CheckedHost | undefined {
  const checked = validFields(HostSchema, raw);
  if (!checked || !raw) return undefined;
  const h = checked.values;
  const field = `hosts[${i}]`;
  const out: CheckedHost = {};
  const before = problems.count;
  if (h.name) out.name = h.name;
  const transport = h.transport ?? 'ssh';
  if (h.localWrapper && raw['transport'] !== 'local') {
    problems.add(
      placeOf(problems.tree, ['hosts', i, 'localWrapper'])?.key,
      `${field}.localWrapper`,
      'is only used with transport: local; add transport: local to this host or remove localWrapper',
    );
  }
  const fits = (key: 'bridgeAddress' | 'overlayAddress', subnet: Cidr | undefined, subnetField: string) =>
    h[key] !== undefined && insideSubnet(problems, h[key], ['hosts', i, key], subnet, subnetField);
  if (fits('bridgeAddress', hc.subnet, 'cluster.subnet')) out.bridgeAddress = h.bridgeAddress;
  if (fits('overlayAddress', hc.overlaySubnet, 'cluster.overlay.subnet'))
    out.overlayAddress = h.overlayAddress;

  // SSH: the target is required unless the host is reached locally.
  if (raw['ssh'] === undefined && transport !== 'local')
    problems.missing(['hosts', i, 'ssh'], 'user@host[:port], [v6]:port, or a Host alias from ~/.ssh/config');
  const target = h.ssh?.target ?? (transport === 'local' ? { host: 'localhost' } : undefined);
  if (!checked.ok || problems.count > before || !target || !out.bridgeAddress) return out;

  const layer: SshLayer = {};
  if (h.sudo !== undefined) layer.sudo = h.sudo;
  if (h.identityFile) layer.identityFiles = h.identityFile;
  if (h.proxyJump) layer.proxyJump = h.proxyJump;
  try {
    const ssh = resolveSsh(h.ssh?.text ?? 'localhost', target, layer, hc.defaults, hc.env);
    ssh.resolvedBy = 'library';
    ssh.alias = target.host;
    // Kept for OpenSSH's resolution (openssh.ts), which runs only when a command connects.
    ssh.inventory = { target, host: layer, defaults: hc.defaults };
    out.ssh = ssh;
  } catch (e) {
    if (!(e instanceof SshConfigProblem)) throw e;
    const place = placeOf(problems.tree, ['hosts', i, 'ssh']) ?? placeOf(problems.tree, ['hosts', i]);
    problems.add(place?.value, `${field}.ssh`, e.message);
  }
  return out;
}
