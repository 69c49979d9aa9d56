/**
 * Loading the cluster file (README "Inventory"): YAML with line
 * numbers, validation that names file:line:column and the field, and the SSH
 * settings merged with ~/.ssh/config (see ssh.ts for the precedence).
 *
 * parseInventory is pure apart from reading the local user name and home
 * directory when they are not given; loadInventory reads the files.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SSHConfig from 'ssh-config';
import { isAlias, isMap, isScalar, isSeq, LineCounter, type Node, parseDocument, type YAMLMap } from 'yaml';
import { didYouMean, InventoryError } from './errors.js';
import { type Cidr, ipv4Problem, ipv4ToLong, parseCidr, reservedAddress } from './ip.js';
import {
  expandPath,
  parseProxyJump,
  parseSshTarget,
  type ResolveEnv,
  resolveSsh,
  SshConfigProblem,
  type SshLayer,
  type SshTarget,
} from './ssh.js';
import type { ClusterSpec, HostSpec, Inventory, OverlaySpec, OverlayType, SshSpec } from './types.js';

export { didYouMean, formatInventoryError, InventoryError } from './errors.js';
export { expandProxyCommand, parseProxyJump, parseSshTarget } from './ssh.js';

export const OVERLAY_TYPES: readonly OverlayType[] = ['peervpn', 'tinc', 'vxlan'];

export interface ParseOptions {
  /** Text of ~/.ssh/config to merge; none when absent. */
  sshConfigText?: string;
  /** For `~` and `%d` (default os.homedir()). */
  homeDir?: string;
  /** The local user: default SSH user and `%u` (default os.userInfo().username). */
  localUser?: string;
  /**
   * Reads the SSH config for the library resolution when sshConfigText is not
   * given: the file the inventory names (`ssh.config`, absolute) or undefined
   * for the default; returns undefined when there is none.
   */
  readSshConfig?: (file: string | undefined) => string | undefined;
}

export interface LoadOptions {
  /** Default ~/.ssh/config; a missing file is fine. */
  sshConfigPath?: string;
}

const TOP_KEYS = ['cluster', 'ssh', 'hosts'] as const;
const CLUSTER_KEYS = ['name', 'domain', 'bridge', 'subnet', 'dhcpRange', 'lxd', 'overlay', 'dhcp'] as const;
const OVERLAY_KEYS = ['type', 'interface', 'subnet', 'network', 'logFile', 'configFile', 'unit'] as const;
const SSH_KEYS = ['user', 'identityFile', 'knownHosts', 'sudo', 'proxyJump', 'config'] as const;
const HOST_KEYS = [
  'name',
  'ssh',
  'bridgeAddress',
  'overlayAddress',
  'sudo',
  'identityFile',
  'proxyJump',
  'transport',
  'localWrapper',
] as const;

const HOST_NAME_RE = /^[a-z0-9][a-z0-9.-]*$/;
const DOMAIN_RE =
  /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
// Linux interface names: at most 15 bytes, no '/', ':' or whitespace.
const IFNAME_RE = /^[^\s/:]{1,15}$/;

interface Entry {
  key: Node;
  /** null when the key has no value (`subnet:`). */
  value: Node | null;
}

class Ctx {
  readonly errors: InventoryError[] = [];
  /**
   * Fields already explained by another problem, not to be reported again as
   * missing: what an unknown key looked like (`bridgeAdress` -> hosts[1].bridgeAddress),
   * or a key whose value is an unknown alias.
   */
  readonly explained = new Set<string>();
  constructor(
    readonly file: string,
    readonly lc: LineCounter,
    readonly doc: ReturnType<typeof parseDocument>,
  ) {}

  error(node: Node | null | undefined, field: string, problem: string): undefined {
    const offset = node?.range?.[0];
    if (offset === undefined) {
      this.errors.push(new InventoryError(this.file, 1, 1, field, problem));
    } else {
      const { line, col } = this.lc.linePos(offset);
      this.errors.push(new InventoryError(this.file, line, col, field, problem));
    }
    return undefined;
  }

  /** Follow `*alias` references; an unknown alias is reported. */
  resolve(node: unknown, field: string): Node | null {
    if (node === null || node === undefined) return null;
    if (isAlias(node)) {
      const target = node.resolve(this.doc);
      if (!target) {
        this.explained.add(field);
        this.error(node, field, `unknown YAML alias *${node.source}`);
        return null;
      }
      return target as Node;
    }
    return node as Node;
  }
}

function join(parent: string, key: string): string {
  return parent === '' ? key : `${parent}.${key}`;
}

function describe(node: Node | null): string {
  if (node === null) return 'nothing';
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) {
    const v = node.value;
    if (v === null) return 'an empty value';
    if (typeof v === 'string') return `the string "${v}"`;
    return `${typeof v} ${String(v)}`;
  }
  return 'something else';
}

/** A mapping's entries; unknown keys are reported with a "did you mean". */
function readMap(
  ctx: Ctx,
  raw: unknown,
  field: string,
  known: readonly string[],
  what: string,
): Map<string, Entry> | undefined {
  const node = ctx.resolve(raw, field);
  if (!isMap(node)) {
    ctx.error(node, field || '(file)', `expected ${what}, got ${describe(node)}`);
    return undefined;
  }
  const entries = new Map<string, Entry>();
  for (const pair of (node as YAMLMap<unknown, unknown>).items) {
    const key = pair.key as Node | null;
    if (!isScalar(key) || typeof key.value !== 'string') {
      ctx.error(key, field || '(file)', `keys must be plain names, got ${describe(key)}`);
      continue;
    }
    const name = key.value;
    // Top-level `x-...` keys are ignored, to hold YAML anchors (&defaults) for reuse.
    if (field === '' && name.startsWith('x-')) continue;
    if (!known.includes(name)) {
      const guess = didYouMean(name, known);
      if (guess) ctx.explained.add(join(field, guess));
      ctx.error(
        key,
        join(field, name),
        guess
          ? `unknown key "${name}"; did you mean "${guess}"?`
          : `unknown key "${name}" (known keys: ${known.join(', ')})`,
      );
      continue;
    }
    const value = ctx.resolve(pair.value, join(field, name));
    entries.set(name, { key, value: isScalar(value) && value.value === null ? null : value });
  }
  return entries;
}

interface Got<T> {
  value: T;
  node: Node;
}

/** Reports a missing required field at `anchor` (the parent's key or item). */
function missing(
  ctx: Ctx,
  entries: Map<string, Entry>,
  key: string,
  field: string,
  anchor: Node | null,
  hint: string,
) {
  const e = entries.get(key);
  if ((!e || e.value === null) && ctx.explained.has(field)) return;
  ctx.error(e ? e.key : anchor, field, e ? `is empty; ${hint}` : `is required: ${hint}`);
}

function getString(
  ctx: Ctx,
  entries: Map<string, Entry>,
  key: string,
  field: string,
  required: { anchor: Node | null; hint: string } | null,
): Got<string> | undefined {
  const e = entries.get(key);
  if (!e || e.value === null) {
    if (required) missing(ctx, entries, key, field, required.anchor, required.hint);
    return undefined;
  }
  return scalarString(ctx, e.value, field);
}

function scalarString(ctx: Ctx, node: Node, field: string): Got<string> | undefined {
  if (!isScalar(node) || typeof node.value !== 'string') {
    const quoteHint =
      isScalar(node) && (typeof node.value === 'number' || typeof node.value === 'boolean')
        ? ` (quote it: '${String(node.source ?? node.value)}')`
        : '';
    return ctx.error(node, field, `expected a string, got ${describe(node)}${quoteHint}`);
  }
  if (node.value.trim() === '') return ctx.error(node, field, 'is an empty string');
  return { value: node.value, node };
}

function getBool(ctx: Ctx, entries: Map<string, Entry>, key: string, field: string): boolean | undefined {
  const e = entries.get(key);
  if (!e || e.value === null) return undefined;
  if (!isScalar(e.value) || typeof e.value.value !== 'boolean') {
    return ctx.error(e.value, field, `expected true or false, got ${describe(e.value)}`);
  }
  return e.value.value;
}

/** A string or a list of strings (identityFile). */
function getStringList(
  ctx: Ctx,
  entries: Map<string, Entry>,
  key: string,
  field: string,
  allowSingle: boolean,
): Got<string[]> | undefined {
  const e = entries.get(key);
  if (!e || e.value === null) return undefined;
  if (allowSingle && isScalar(e.value)) {
    const s = scalarString(ctx, e.value, field);
    return s ? { value: [s.value], node: s.node } : undefined;
  }
  if (!isSeq(e.value)) {
    return ctx.error(
      e.value,
      field,
      `expected ${allowSingle ? 'a string or a list of strings' : 'a list of strings'}, got ${describe(e.value)}`,
    );
  }
  const out: string[] = [];
  let ok = true;
  for (const [i, item] of e.value.items.entries()) {
    const node = ctx.resolve(item, `${field}[${i}]`);
    const s =
      node === null
        ? ctx.error(e.value, `${field}[${i}]`, 'is empty')
        : scalarString(ctx, node, `${field}[${i}]`);
    if (s) out.push(s.value);
    else ok = false;
  }
  if (!ok) return undefined;
  if (out.length === 0) return ctx.error(e.value, field, 'is an empty list');
  return { value: out, node: e.value };
}

function getCidr(
  ctx: Ctx,
  entries: Map<string, Entry>,
  key: string,
  field: string,
  required: { anchor: Node | null; hint: string } | null,
) {
  const s = getString(ctx, entries, key, field, required);
  if (!s) return undefined;
  const cidr = parseCidr(s.value.trim());
  if (typeof cidr === 'string') return ctx.error(s.node, field, cidr);
  if (cidr.prefix > 30) {
    return ctx.error(
      s.node,
      field,
      `${s.value} is too small for hosts (/${cidr.prefix}); use a prefix of /30 or shorter`,
    );
  }
  return cidr;
}

/** An IPv4 address inside `subnet` (when known) that is not its network or broadcast address. */
function checkAddress(
  ctx: Ctx,
  s: Got<string>,
  field: string,
  subnet: Cidr | undefined,
  subnetField: string,
) {
  const ip = s.value.trim();
  const bad = ipv4Problem(ip);
  if (bad) return ctx.error(s.node, field, bad);
  if (subnet) {
    if (!subnet.net.contains(ip)) {
      return ctx.error(
        s.node,
        field,
        `${ip} is not inside ${subnetField} ${subnet.text} (expected ${subnet.net.first} .. ${subnet.net.last})`,
      );
    }
    const reserved = reservedAddress(subnet, ip);
    if (reserved) {
      return ctx.error(
        s.node,
        field,
        `${ip} is the ${reserved} address of ${subnetField} ${subnet.text}; use a host address ${subnet.net.first} .. ${subnet.net.last}`,
      );
    }
  }
  return ip;
}

/** ` on line N` for a node, '' when it has no position. */
function positionOf(ctx: Ctx, node: Node): string {
  const offset = node.range?.[0];
  return offset === undefined ? '' : ` on line ${ctx.lc.linePos(offset).line}`;
}

function safeLocalUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return process.env['USER'] ?? process.env['LOGNAME'] ?? 'root';
  }
}

function syntaxProblem(code: string, message: string): string {
  if (code === 'MULTIPLE_DOCS')
    return 'YAML syntax: the file holds more than one YAML document (---); keep one';
  return `YAML syntax: ${message}`;
}

/** Parse and validate inventory text. Throws InventoryError (with `.all` listing every problem). */
export function parseInventory(text: string, file: string, opts: ParseOptions = {}): Inventory {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const all = doc.errors.map((e) => {
      const { line, col } = lc.linePos(e.pos[0]);
      return new InventoryError(file, line, col, '', syntaxProblem(e.code, e.message));
    });
    throw withAll(all);
  }
  const ctx = new Ctx(file, lc, doc);
  const homeDir = opts.homeDir ?? os.homedir();
  const localUser = opts.localUser ?? safeLocalUser();
  const env: ResolveEnv = { homeDir, localUser };

  if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) {
    throw withAll([
      new InventoryError(file, 1, 1, '', 'the file is empty; expected a mapping with cluster: and hosts:'),
    ]);
  }
  const top = readMap(ctx, doc.contents, '', TOP_KEYS, 'a mapping with cluster: and hosts:');
  if (!top) throw withAll(ctx.errors);
  const root = doc.contents as Node;

  // ---- cluster ----
  const clusterEntry = top.get('cluster');
  let clusterSpec: Partial<ClusterSpec> = {};
  let subnet: Cidr | undefined;
  let overlaySubnet: Cidr | undefined;
  let dhcp: Got<string> | undefined;
  if (!clusterEntry || clusterEntry.value === null) {
    missing(ctx, top, 'cluster', 'cluster', root, 'a mapping with subnet, overlay and dhcp');
  } else {
    const c = readMap(
      ctx,
      clusterEntry.value,
      'cluster',
      CLUSTER_KEYS,
      'a mapping (subnet:, overlay:, dhcp: ...)',
    );
    if (c) {
      const anchor = clusterEntry.key;
      const name = getString(ctx, c, 'name', 'cluster.name', null);
      const domain = getString(ctx, c, 'domain', 'cluster.domain', null);
      if (domain && !DOMAIN_RE.test(domain.value)) {
        ctx.error(domain.node, 'cluster.domain', `"${domain.value}" is not a DNS domain (e.g. lxd)`);
      }
      const bridge = getString(ctx, c, 'bridge', 'cluster.bridge', null);
      if (bridge && !IFNAME_RE.test(bridge.value)) {
        ctx.error(
          bridge.node,
          'cluster.bridge',
          `"${bridge.value}" is not a Linux interface name (1-15 characters, no / : or spaces)`,
        );
      }
      subnet = getCidr(ctx, c, 'subnet', 'cluster.subnet', {
        anchor,
        hint: 'the shared L2 subnet of the bridges and containers, e.g. 172.16.0.0/16',
      });
      const range = getString(ctx, c, 'dhcpRange', 'cluster.dhcpRange', null);
      if (range) checkDhcpRange(ctx, range, subnet);
      const lxd = getString(ctx, c, 'lxd', 'cluster.lxd', null);
      if (lxd && lxd.value !== 'lxc' && lxd.value !== 'incus') {
        ctx.error(
          lxd.node,
          'cluster.lxd',
          `"${lxd.value}" is not a known LXD client (expected lxc or incus)`,
        );
      }
      const overlay = readOverlay(ctx, c, anchor);
      overlaySubnet = overlay.subnet;
      dhcp = getString(ctx, c, 'dhcp', 'cluster.dhcp', {
        anchor,
        hint: 'the name of the one host whose dnsmasq serves DHCP and DNS, e.g. dhcp: lxd1',
      });
      clusterSpec = {
        name: name?.value ?? path.basename(file, path.extname(file)),
        domain: domain?.value ?? 'lxd',
        bridge: bridge?.value ?? 'lxdbr0',
        ...(subnet ? { subnet: subnet.text } : {}),
        ...(overlay.spec ? { overlay: overlay.spec } : {}),
        ...(dhcp ? { dhcp: dhcp.value } : {}),
        ...(range ? { dhcpRange: range.value.replace(/\s+/g, '') } : {}),
        ...(lxd && (lxd.value === 'lxc' || lxd.value === 'incus') ? { lxdCommand: lxd.value } : {}),
      };
    }
  }

  // ---- ssh defaults ----
  const defaults: SshLayer = {};
  let knownHosts: string | undefined;
  let sshConfigFile: string | undefined;
  const sshEntry = top.get('ssh');
  if (sshEntry && sshEntry.value !== null) {
    const s = readMap(ctx, sshEntry.value, 'ssh', SSH_KEYS, 'a mapping (user:, identityFile:, sudo: ...)');
    if (s) {
      const user = getString(ctx, s, 'user', 'ssh.user', null);
      if (user && !/^[^\s@:]+$/.test(user.value)) {
        ctx.error(user.node, 'ssh.user', `"${user.value}" is not a user name`);
      } else if (user) defaults.user = user.value;
      const ids = getStringList(ctx, s, 'identityFile', 'ssh.identityFile', true);
      if (ids) defaults.identityFiles = ids.value;
      const kh = getString(ctx, s, 'knownHosts', 'ssh.knownHosts', null);
      if (kh) knownHosts = expandPath(kh.value, { u: localUser }, homeDir);
      const sudo = getBool(ctx, s, 'sudo', 'ssh.sudo');
      if (sudo !== undefined) defaults.sudo = sudo;
      const jump = getString(ctx, s, 'proxyJump', 'ssh.proxyJump', null);
      if (jump) {
        const hops = parseProxyJump(jump.value);
        if (typeof hops === 'string') ctx.error(jump.node, 'ssh.proxyJump', hops);
        else defaults.proxyJump = hops;
      }
      // ssh -F FILE: relative to the inventory file, like the other paths in it.
      const cfg = getString(ctx, s, 'config', 'ssh.config', null);
      if (cfg)
        sshConfigFile = path.resolve(path.dirname(file), expandPath(cfg.value, { u: localUser }, homeDir));
    }
  }
  const configText = opts.sshConfigText ?? opts.readSshConfig?.(sshConfigFile);
  if (configText !== undefined) env.config = SSHConfig.parse(configText);

  // ---- hosts ----
  const hosts: HostSpec[] = [];
  const hostsEntry = top.get('hosts');
  const names = new Map<string, Node>();
  if (!hostsEntry || hostsEntry.value === null) {
    missing(ctx, top, 'hosts', 'hosts', root, 'a list of hosts (- name: lxd1, ssh: ..., bridgeAddress: ...)');
  } else if (!isSeq(hostsEntry.value)) {
    ctx.error(
      hostsEntry.value,
      'hosts',
      `expected a list of hosts (- name: ...), got ${describe(hostsEntry.value)}`,
    );
  } else if (hostsEntry.value.items.length === 0) {
    ctx.error(hostsEntry.key, 'hosts', 'is empty; list at least one host');
  } else {
    const bridgeSeen = new Map<string, { field: string; node: Node }>();
    const overlaySeen = new Map<string, { field: string; node: Node }>();
    for (const [i, item] of hostsEntry.value.items.entries()) {
      const field = `hosts[${i}]`;
      const h = readMap(ctx, item, field, HOST_KEYS, 'a mapping (name:, ssh:, bridgeAddress: ...)');
      if (!h) continue;
      const anchor = ctx.resolve(item, field);
      const host = readHost(ctx, h, field, anchor, {
        subnet,
        overlaySubnet,
        defaults,
        env,
        sshConfigFile,
      });
      if (host.name) {
        const prev = names.get(host.name.value);
        if (prev) {
          ctx.error(
            host.name.node,
            `${field}.name`,
            `duplicate host name "${host.name.value}" (first used${positionOf(ctx, prev)})`,
          );
        } else names.set(host.name.value, host.name.node);
      }
      for (const [got, seen, key] of [
        [host.bridgeAddress, bridgeSeen, 'bridgeAddress'],
        [host.overlayAddress, overlaySeen, 'overlayAddress'],
      ] as const) {
        if (!got) continue;
        const prev = seen.get(got.value);
        if (prev) {
          ctx.error(
            got.node,
            `${field}.${key}`,
            `${got.value} is already the ${key} of ${prev.field}${positionOf(ctx, prev.node)}`,
          );
        } else seen.set(got.value, { field, node: got.node });
      }
      if (host.spec) hosts.push(host.spec);
    }
  }

  if (dhcp && names.size > 0 && !names.has(dhcp.value)) {
    const known = [...names.keys()];
    const guess = didYouMean(dhcp.value, known);
    ctx.error(
      dhcp.node,
      'cluster.dhcp',
      `"${dhcp.value}" is not one of the hosts (${known.join(', ')})${guess ? `; did you mean "${guess}"?` : ''}`,
    );
  }

  if (ctx.errors.length > 0) throw withAll(ctx.errors);
  const inventory: Inventory = { file, cluster: clusterSpec as ClusterSpec, hosts };
  if (knownHosts !== undefined) inventory.knownHosts = knownHosts;
  return inventory;
}

function withAll(errors: InventoryError[]): InventoryError {
  const sorted = [...errors].sort(
    (a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0),
  );
  const first = sorted[0]!;
  first.all = sorted;
  return first;
}

function checkDhcpRange(ctx: Ctx, range: Got<string>, subnet: Cidr | undefined): void {
  const field = 'cluster.dhcpRange';
  const parts = range.value.split(',').map((p) => p.trim());
  if (parts.length !== 2 || parts[0] === '' || parts[1] === '') {
    ctx.error(range.node, field, `"${range.value}" is not first,last (e.g. 172.16.100.1,172.16.199.254)`);
    return;
  }
  const [first, last] = parts as [string, string];
  for (const ip of [first, last]) {
    const bad = ipv4Problem(ip);
    if (bad) {
      ctx.error(range.node, field, bad);
      return;
    }
    if (subnet && !subnet.net.contains(ip)) {
      ctx.error(range.node, field, `${ip} is not inside cluster.subnet ${subnet.text}`);
      return;
    }
    const reserved = subnet ? reservedAddress(subnet, ip) : undefined;
    if (subnet && reserved) {
      ctx.error(range.node, field, `${ip} is the ${reserved} address of cluster.subnet ${subnet.text}`);
      return;
    }
  }
  if (ipv4ToLong(first) > ipv4ToLong(last)) {
    ctx.error(
      range.node,
      field,
      `${first} comes after ${last}; write the lower address first: ${last},${first}`,
    );
  }
}

function readOverlay(
  ctx: Ctx,
  c: Map<string, Entry>,
  clusterAnchor: Node,
): { spec?: OverlaySpec; subnet?: Cidr } {
  const e = c.get('overlay');
  if (!e || e.value === null) {
    missing(
      ctx,
      c,
      'overlay',
      'cluster.overlay',
      clusterAnchor,
      'a mapping with type: peervpn | tinc | vxlan',
    );
    return {};
  }
  const o = readMap(ctx, e.value, 'cluster.overlay', OVERLAY_KEYS, 'a mapping (type:, interface: ...)');
  if (!o) return {};
  const anchor = e.key;
  const typeGot = getString(ctx, o, 'type', 'cluster.overlay.type', {
    anchor,
    hint: `the overlay kind, one of ${OVERLAY_TYPES.join(', ')}`,
  });
  let type: OverlayType | undefined;
  if (typeGot) {
    if ((OVERLAY_TYPES as readonly string[]).includes(typeGot.value)) type = typeGot.value as OverlayType;
    else {
      const guess = didYouMean(typeGot.value, OVERLAY_TYPES);
      ctx.error(
        typeGot.node,
        'cluster.overlay.type',
        `"${typeGot.value}" is not a known overlay type (known: ${OVERLAY_TYPES.join(', ')})${guess ? `; did you mean "${guess}"?` : ''}`,
      );
    }
  }
  const network = getString(ctx, o, 'network', 'cluster.overlay.network', null);
  // Names reach commands as operands (tincd -n NET, systemctl show UNIT): never an option.
  if (network && !/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/.test(network.value)) {
    ctx.error(
      network.node,
      'cluster.overlay.network',
      `"${network.value}" is not a tinc network name (letters, digits, _ . -, not starting with -)`,
    );
  }
  let iface = getString(ctx, o, 'interface', 'cluster.overlay.interface', null)?.value;
  if (iface === undefined && o.get('interface') === undefined && type !== undefined) {
    // peervpn's examples name the tap peervpn0; tincd names it after the network
    // (-n NAME); a vxlan device has no conventional name, so it must be given.
    if (type === 'peervpn') iface = 'peervpn0';
    else if (type === 'tinc' && network) iface = network.value;
    else {
      missing(
        ctx,
        o,
        'interface',
        'cluster.overlay.interface',
        anchor,
        type === 'tinc'
          ? 'the tinc tap device that is a port of the bridge (or set overlay.network, whose name tincd uses)'
          : 'the vxlan device that is a port of the bridge, e.g. vxlan0',
      );
    }
  }
  const ifaceEntry = o.get('interface');
  if (iface !== undefined && ifaceEntry?.value && !IFNAME_RE.test(iface)) {
    ctx.error(
      ifaceEntry.value,
      'cluster.overlay.interface',
      `"${iface}" is not a Linux interface name (1-15 characters, no / : or spaces)`,
    );
    iface = undefined;
  }
  const subnet = getCidr(ctx, o, 'subnet', 'cluster.overlay.subnet', null);
  const spec: Partial<OverlaySpec> = {};
  for (const key of ['logFile', 'configFile'] as const) {
    const p = getString(ctx, o, key, `cluster.overlay.${key}`, null);
    if (p && (!p.value.startsWith('/') || /[\u0000-\u001f]/.test(p.value))) {
      ctx.error(
        p.node,
        `cluster.overlay.${key}`,
        `"${p.value}" is not an absolute path (it is read on each host; start it with /)`,
      );
    } else if (p) spec[key] = p.value;
  }
  const unit = getString(ctx, o, 'unit', 'cluster.overlay.unit', null);
  // systemd's unit name characters; never a leading `-`, so it cannot pass as an option.
  if (unit && !/^[A-Za-z0-9_.:@\\][A-Za-z0-9_.:@\\-]{0,255}$/.test(unit.value)) {
    ctx.error(
      unit.node,
      'cluster.overlay.unit',
      `"${unit.value}" is not a systemd unit name (letters, digits, : _ . @ \\ -, not starting with -)`,
    );
  }
  if (!type || iface === undefined) return subnet ? { subnet } : {};
  const out: OverlaySpec = { type, interface: iface, ...spec };
  if (subnet) out.subnet = subnet.text;
  if (network) out.network = network.value;
  if (unit) out.unit = unit.value;
  return subnet ? { spec: out, subnet } : { spec: out };
}

interface HostContext {
  subnet: Cidr | undefined;
  overlaySubnet: Cidr | undefined;
  defaults: SshLayer;
  env: ResolveEnv;
  sshConfigFile: string | undefined;
}

interface ReadHost {
  name?: Got<string>;
  bridgeAddress?: Got<string>;
  overlayAddress?: Got<string>;
  spec?: HostSpec;
}

function readHost(
  ctx: Ctx,
  h: Map<string, Entry>,
  field: string,
  anchor: Node | null,
  hc: HostContext,
): ReadHost {
  const out: ReadHost = {};
  const before = ctx.errors.length;
  const name = getString(ctx, h, 'name', `${field}.name`, {
    anchor,
    hint: 'a short unique name such as lxd1',
  });
  if (name) {
    if (!HOST_NAME_RE.test(name.value) || name.value.length > 253) {
      const lower = name.value.toLowerCase().replace(/[^a-z0-9.-]/g, '-');
      ctx.error(
        name.node,
        `${field}.name`,
        `"${name.value}" is not a valid host name (lowercase letters, digits, - and ., starting with a letter or digit${HOST_NAME_RE.test(lower) ? `, e.g. ${lower}` : ''})`,
      );
    } else out.name = name;
  }

  const transportGot = getString(ctx, h, 'transport', `${field}.transport`, null);
  let transport: 'ssh' | 'local' = 'ssh';
  if (transportGot) {
    if (transportGot.value === 'ssh' || transportGot.value === 'local') transport = transportGot.value;
    else
      ctx.error(
        transportGot.node,
        `${field}.transport`,
        `"${transportGot.value}" is not a transport (expected ssh or local)`,
      );
  }
  const wrapper = getStringList(ctx, h, 'localWrapper', `${field}.localWrapper`, false);
  if (wrapper && transportGot?.value !== 'local') {
    ctx.error(
      h.get('localWrapper')!.key,
      `${field}.localWrapper`,
      'is only used with transport: local; add transport: local to this host or remove localWrapper',
    );
  }

  const bridge = getString(ctx, h, 'bridgeAddress', `${field}.bridgeAddress`, {
    anchor,
    hint: `this host's IPv4 address on the bridge${hc.subnet ? `, inside ${hc.subnet.text}` : ''}`,
  });
  if (bridge) {
    const ip = checkAddress(ctx, bridge, `${field}.bridgeAddress`, hc.subnet, 'cluster.subnet');
    if (ip) out.bridgeAddress = { value: ip, node: bridge.node };
  }
  const overlay = getString(ctx, h, 'overlayAddress', `${field}.overlayAddress`, null);
  if (overlay) {
    const ip = checkAddress(
      ctx,
      overlay,
      `${field}.overlayAddress`,
      hc.overlaySubnet,
      'cluster.overlay.subnet',
    );
    if (ip) out.overlayAddress = { value: ip, node: overlay.node };
  }

  // SSH: the target is required unless the host is reached locally.
  const layer: SshLayer = {};
  const sudo = getBool(ctx, h, 'sudo', `${field}.sudo`);
  if (sudo !== undefined) layer.sudo = sudo;
  const ids = getStringList(ctx, h, 'identityFile', `${field}.identityFile`, true);
  if (ids) layer.identityFiles = ids.value;
  const jump = getString(ctx, h, 'proxyJump', `${field}.proxyJump`, null);
  if (jump) {
    const hops = parseProxyJump(jump.value);
    if (typeof hops === 'string') ctx.error(jump.node, `${field}.proxyJump`, hops);
    else layer.proxyJump = hops;
  }
  const sshGot = getString(
    ctx,
    h,
    'ssh',
    `${field}.ssh`,
    transport === 'local'
      ? null
      : { anchor, hint: 'user@host[:port], [v6]:port, or a Host alias from ~/.ssh/config' },
  );
  let target: SshTarget | undefined;
  const targetText = sshGot?.value.trim() ?? 'localhost';
  if (sshGot) {
    const t = parseSshTarget(sshGot.value);
    if (typeof t === 'string') ctx.error(sshGot.node, `${field}.ssh`, t);
    else target = t;
  } else if (transport === 'local') {
    target = { host: 'localhost' };
  }

  if (ctx.errors.length > before || !name || !bridge || !target || !out.bridgeAddress) return out;
  let ssh: SshSpec;
  try {
    ssh = resolveSsh(targetText, target, layer, hc.defaults, hc.env);
    ssh.resolvedBy = 'library';
    ssh.alias = target.host;
    // Kept for OpenSSH's resolution (openssh.ts), which runs only when a command connects.
    ssh.inventory = {
      target,
      host: layer,
      defaults: hc.defaults,
      ...(hc.sshConfigFile !== undefined ? { configFile: hc.sshConfigFile } : {}),
    };
  } catch (e) {
    if (e instanceof SshConfigProblem) {
      ctx.error(sshGot?.node ?? anchor, `${field}.ssh`, e.message);
      return out;
    }
    throw e;
  }
  const spec: HostSpec = { name: name.value, ssh, bridgeAddress: out.bridgeAddress.value, transport };
  if (out.overlayAddress) spec.overlayAddress = out.overlayAddress.value;
  if (wrapper) spec.localWrapper = wrapper.value;
  out.spec = spec;
  return out;
}

/**
 * Read and validate an inventory file, merging ~/.ssh/config (or
 * opts.sshConfigPath) when it exists. Inventory.file is the absolute path;
 * error messages use the path as given.
 */
export function loadInventory(file: string, opts: LoadOptions = {}): Inventory {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why =
      err.code === 'ENOENT'
        ? 'no such file'
        : err.code === 'EACCES'
          ? 'permission denied'
          : err.code === 'EISDIR'
            ? 'is a directory, not an inventory file'
            : err.message;
    throw new InventoryError(file, null, null, '', `cannot read the inventory: ${why}`);
  }
  const homeDir = os.homedir();
  const readSshConfig = (named: string | undefined): string | undefined => {
    const sshConfigPath = named ?? opts.sshConfigPath ?? path.join(homeDir, '.ssh', 'config');
    try {
      return readFileSync(sshConfigPath, 'utf8');
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      // The default file may be missing; a file the inventory names must exist.
      if (named === undefined && (err.code === 'ENOENT' || err.code === 'ENOTDIR')) return undefined;
      throw new InventoryError(sshConfigPath, null, null, '', `cannot read the SSH config: ${err.message}`);
    }
  };
  const inventory = parseInventory(text, file, { homeDir, readSshConfig });
  return { ...inventory, file: path.resolve(file) };
}
