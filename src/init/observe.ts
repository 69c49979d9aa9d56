/**
 * What one host shows, parsed from the raw outputs of INIT_SECTIONS. Pure:
 * the unit tests feed it recorded outputs. Reuses the doctor's parsers and
 * adds the few small ones init needs (tinc.conf, `ip -d link` as text,
 * `lxc network list`, `systemctl list-units`, `==> file <==` blocks).
 */
import { ADDRS, LINKS } from '../facts/host/links.js';
import { LXD_BRIDGE_DEFAULT } from '../facts/host/lxd.js';
import { PS, SS_UDP } from '../facts/host/processes.js';
import { HOSTNAME } from '../facts/host/system.js';
import {
  findDnsmasqInstances,
  parseIpAddrJson,
  parseIpLinkJson,
  parseLxdBridgeDefaults,
  parsePeervpnConfig,
  parseProcesses,
  parseSs,
} from '../facts/parsers/index.js';
import { asString, extractJsonArray, isRecord, splitLines } from '../facts/parsers/text.js';
import type {
  AddressInfo,
  DnsmasqInstance,
  LinkInfo,
  LxdBridgeDefaults,
  LxdNetworkConfig,
  PeervpnConfig,
  ProcessInfo,
  RawOutput,
  SocketInfo,
} from '../facts/types.js';

/** One host as recorded: what fixtures/init/ holds and what observe() reads. */
export interface HostRecord {
  /** The SSH target as the user gave it. */
  target: string;
  /** Why the host could not be read; raw is empty then. */
  error?: string;
  raw: Record<string, RawOutput>;
}

export interface TincConfig {
  path: string;
  /** The directory name under /etc/tinc (tincd -n NAME). */
  network: string;
  /** Interface = ...; tincd names the device after the network when unset. */
  interface?: string;
  mode?: string;
  deviceType?: string;
}

export interface UnitInfo {
  name: string;
  active: string;
  sub: string;
}

export interface VpnStdout {
  pid: number;
  comm: string;
  target: string;
}

export interface Observation {
  target: string;
  hostname?: string;
  uid?: number;
  /** Whether `sudo -n true` worked (only asked when not root). */
  sudoWorks?: boolean;
  links: LinkInfo[];
  addrs: AddressInfo[];
  processes: ProcessInfo[];
  dnsmasq: DnsmasqInstance[];
  udp: SocketInfo[];
  peervpnConfigs: { path: string; config: PeervpnConfig }[];
  tincConfigs: TincConfig[];
  lxdBridge?: LxdBridgeDefaults;
  /** null when systemd is not PID 1 (or the section failed). */
  units: UnitInfo[] | null;
  lxdClient?: 'lxc' | 'incus';
  lxdNetworks: LxdNetworkConfig[];
  /** The LXD or Incus daemon seen in the process list. */
  daemon?: 'lxd' | 'incus';
  vpnStdout: VpnStdout[];
}

/** `==> path <==` blocks (tail's format for several files). */
export function splitFileBlocks(text: string): { path: string; text: string }[] {
  const out: { path: string; text: string }[] = [];
  let current: { path: string; lines: string[] } | null = null;
  for (const line of splitLines(text)) {
    const m = /^==> (.+) <==$/.exec(line);
    if (m) {
      if (current) out.push({ path: current.path, text: current.lines.join('\n') });
      current = { path: m[1]!, lines: [] };
    } else current?.lines.push(line);
  }
  if (current) out.push({ path: current.path, text: current.lines.join('\n') });
  return out;
}

/** tinc 1.0 `tinc.conf`: `Key = Value` lines, case-insensitive keys, `#` comments. */
export function parseTincConf(path: string, text: string): TincConfig {
  const network = /\/etc\/tinc\/([^/]+)\/tinc\.conf$/.exec(path)?.[1] ?? '';
  const conf: TincConfig = { path, network };
  for (const raw of splitLines(text)) {
    const line = raw.replace(/#.*$/, '').trim();
    const m = /^([A-Za-z]+)\s*=\s*(.+)$/.exec(line);
    if (!m) continue;
    const key = m[1]!.toLowerCase();
    const value = m[2]!.trim();
    if (key === 'interface') conf.interface = value;
    else if (key === 'mode') conf.mode = value.toLowerCase();
    else if (key === 'devicetype') conf.deviceType = value.toLowerCase();
  }
  return conf;
}

const LINK_HEAD = /^\d+:\s+([^\s:@]+)(?:@\S+)?:\s+<([^>]*)>(.*)$/;

/**
 * `ip -d link show` as text, for captures made without -j: name, flags,
 * master and the kind from the detail line (`tun type tap`, `vxlan id 99`,
 * `bridge forward_delay ...`, `veth`).
 */
export function parseIpLinkText(text: string): LinkInfo[] {
  const out: LinkInfo[] = [];
  let current: LinkInfo | null = null;
  for (const line of splitLines(text)) {
    const head = LINK_HEAD.exec(line);
    if (head) {
      const flags = head[2]!.split(',').filter(Boolean);
      const words = head[3]!.trim().split(/\s+/);
      const at = (w: string) => {
        const i = words.indexOf(w);
        return i >= 0 ? words[i + 1] : undefined;
      };
      current = {
        ifname: head[1]!,
        ifindex: Number(/^(\d+):/.exec(line)![1]),
        flags,
        up: flags.includes('UP'),
        operstate: at('state') ?? 'UNKNOWN',
        mtu: Number(at('mtu') ?? 0),
      };
      const master = at('master');
      if (master !== undefined) current.master = master;
      out.push(current);
      continue;
    }
    if (!current || current.kind !== undefined) continue;
    const detail = line.trim();
    const tun = /^tun type (tun|tap)\b/.exec(detail);
    if (tun) {
      current.kind = 'tun';
      current.tunType = tun[1]!;
    } else if (/^vxlan id \d+/.test(detail)) current.kind = 'vxlan';
    else if (/^bridge (forward_delay|hello_time)/.test(detail)) current.kind = 'bridge';
    else if (/^veth\b/.test(detail)) current.kind = 'veth';
  }
  return out;
}

/** `lxc network list --format json` / `incus network list --format json`. */
export function parseLxdNetworkList(text: string): LxdNetworkConfig[] {
  const out: LxdNetworkConfig[] = [];
  for (const n of extractJsonArray(text).filter(isRecord)) {
    const name = asString(n['name']);
    if (name === undefined) continue;
    const config: Record<string, string> = {};
    if (isRecord(n['config'])) {
      for (const [k, v] of Object.entries(n['config'])) if (typeof v === 'string') config[k] = v;
    }
    const net: LxdNetworkConfig = {
      name,
      managed: n['managed'] === true,
      config,
      usedBy: Array.isArray(n['used_by']) ? n['used_by'].filter((u) => typeof u === 'string') : [],
    };
    const type = asString(n['type']);
    if (type !== undefined) net.type = type;
    out.push(net);
  }
  return out;
}

/** `systemctl list-units --no-legend --plain`: UNIT LOAD ACTIVE SUB DESCRIPTION. */
export function parseUnitList(text: string): UnitInfo[] {
  const out: UnitInfo[] = [];
  for (const line of splitLines(text)) {
    const w = line.trim().replace(/^●\s*/, '').split(/\s+/);
    if (w.length < 4 || !/\.(service|socket)$/.test(w[0]!)) continue;
    out.push({ name: w[0]!, active: w[2]!, sub: w[3]! });
  }
  return out;
}

function ok(r: RawOutput | undefined): string | undefined {
  return r && r.exitCode === 0 ? r.stdout : undefined;
}

function mergeLinks(primary: LinkInfo[], extra: LinkInfo[]): LinkInfo[] {
  const byName = new Map(primary.map((l) => [l.ifname, l]));
  for (const l of extra) {
    const have = byName.get(l.ifname);
    if (!have) byName.set(l.ifname, l);
    else if (have.master === undefined && l.master !== undefined) have.master = l.master;
  }
  return [...byName.values()];
}

function daemonOf(processes: ProcessInfo[]): 'lxd' | 'incus' | undefined {
  const argv0 = (p: ProcessInfo) => (p.args.split(/\s+/)[0] ?? '').split('/').pop() ?? '';
  if (processes.some((p) => p.comm === 'incusd' || argv0(p) === 'incusd')) return 'incus';
  // `lxd` is the daemon; `lxd forkproxy`, `lxd waitready` and friends are the same binary.
  if (processes.some((p) => p.comm === 'lxd' || argv0(p) === 'lxd')) return 'lxd';
  return undefined;
}

export function observe(record: HostRecord): Observation {
  const raw = record.raw;
  const text = (name: string) => ok(raw[name]);
  const obs: Observation = {
    target: record.target,
    links: [],
    addrs: [],
    processes: [],
    dnsmasq: [],
    udp: [],
    peervpnConfigs: [],
    tincConfigs: [],
    units: null,
    lxdNetworks: [],
    vpnStdout: [],
  };
  const hostname = text(HOSTNAME)?.trim();
  if (hostname) obs.hostname = hostname;
  for (const line of splitLines(raw['whoami']?.stdout ?? '')) {
    const uid = /^uid (\d+)$/.exec(line.trim());
    if (uid) obs.uid = Number(uid[1]);
    const sudo = /^sudo (yes|no)$/.exec(line.trim());
    if (sudo) obs.sudoWorks = sudo[1] === 'yes';
  }
  const linksText = text(LINKS) ?? '';
  const asJson = parseIpLinkJson(linksText);
  const links = asJson.length > 0 ? asJson : parseIpLinkText(linksText);
  const addrsText = text(ADDRS) ?? '';
  // `ip -j addr` names each address's link and its master too: fills gaps in a partial link list.
  obs.links = mergeLinks(links, parseIpLinkJson(addrsText));
  obs.addrs = parseIpAddrJson(addrsText);
  obs.processes = parseProcesses(text(PS) ?? '');
  obs.dnsmasq = findDnsmasqInstances(obs.processes);
  obs.udp = parseSs(text(SS_UDP) ?? '', 'udp');
  for (const b of splitFileBlocks(raw['peervpn-conf']?.stdout ?? '')) {
    obs.peervpnConfigs.push({ path: b.path, config: parsePeervpnConfig(b.text) });
  }
  for (const b of splitFileBlocks(raw['tinc-conf']?.stdout ?? '')) {
    obs.tincConfigs.push(parseTincConf(b.path, b.text));
  }
  const defaults = text(LXD_BRIDGE_DEFAULT);
  if (defaults !== undefined) obs.lxdBridge = parseLxdBridgeDefaults(defaults);
  const units = text('units');
  if (units !== undefined) obs.units = parseUnitList(units);
  const nets = text('lxd-networks');
  if (nets !== undefined) {
    const client = /^client (lxc|incus)$/m.exec(nets)?.[1];
    if (client === 'lxc' || client === 'incus') obs.lxdClient = client;
    obs.lxdNetworks = parseLxdNetworkList(nets);
  }
  const daemon = daemonOf(obs.processes);
  if (daemon) obs.daemon = daemon;
  for (const line of splitLines(raw['vpn-stdout']?.stdout ?? '')) {
    const m = /^(\d+) (\S+) ?(.*)$/.exec(line.trim());
    if (m) obs.vpnStdout.push({ pid: Number(m[1]), comm: m[2]!, target: m[3]!.trim() });
  }
  return obs;
}
