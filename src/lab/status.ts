/** What is running in the lab right now: each host's daemons (PID alive, listening) and every container. */
import { existsSync } from 'node:fs';
import {
  BRIDGE,
  DNSMASQ_PIDFILE,
  OVERLAY_IF,
  PEERVPN_PORT,
  SSHD_PIDFILE,
  TINC_PIDFILE,
} from './constants.js';
import { pMap } from './exec.js';
import { netnsExists } from './host.js';
import { pidAlive, rootPidOf } from './proc.js';
import { hostRunFile, listening, readPid } from './services.js';
import { type AppliedFault, type LabHost, type LabOptions, type LabState, readLabState } from './state.js';
import { labLeftovers } from './up.js';
import { currentContainers, masterOf } from './verify.js';

export interface DaemonStatus {
  name: 'sshd' | 'tincd' | 'dnsmasq' | 'lxd' | 'incusd' | 'peervpn';
  /** Root-namespace PID (from the host's pid file, else the state file). */
  pid: number | null;
  alive: boolean;
  /** addr:port it should listen on, and whether it does. */
  listen?: string;
  listening?: boolean;
}

export interface HostStatus {
  name: string;
  underlayAddress: string;
  bridgeAddress: string;
  initPid: number;
  initAlive: boolean;
  /** peervpn0 exists and is a port of lxdbr0 (null: peervpn0 missing). */
  overlayBridged: boolean | null;
  daemons: DaemonStatus[];
}

export interface ContainerStatus {
  name: string;
  host: string;
  state: string;
  mac: string;
  address: string | null;
}

export interface LabStatus {
  up: boolean;
  phase: LabState['phase'] | null;
  options: LabOptions | null;
  hosts: HostStatus[];
  containers: ContainerStatus[];
  faults: AppliedFault[];
  /** Lab things found by prefix (namespaces, links, dirs), state file or not. */
  leftovers: string[];
}

async function pidFromFile(h: LabHost, file: string, fallback?: number): Promise<number | null> {
  const nsPid = await readPid(hostRunFile(h, file));
  return (nsPid && (await rootPidOf(h.initPid, nsPid))) || fallback || null;
}

async function daemon(
  h: LabHost,
  name: DaemonStatus['name'],
  pid: number | null,
  listen?: { proto: 'tcp' | 'udp'; addr: string; port: number },
): Promise<DaemonStatus> {
  const alive = await pidAlive(pid ?? undefined);
  const d: DaemonStatus = { name, pid, alive };
  if (listen) {
    d.listen = `${listen.addr}:${listen.port}`;
    d.listening = alive && (await listening(h, listen.proto, listen.addr, listen.port));
  }
  return d;
}

async function hostStatus(s: LabState, h: LabHost): Promise<HostStatus> {
  const initAlive = await pidAlive(h.initPid);
  const st: HostStatus = {
    name: h.name,
    underlayAddress: h.underlayAddress,
    bridgeAddress: h.bridgeAddress,
    initPid: h.initPid,
    initAlive,
    overlayBridged: null,
    daemons: [],
  };
  if (!initAlive || !(await netnsExists(h.netns))) return st;
  const master = await masterOf(h.netns, OVERLAY_IF);
  st.overlayBridged = master === undefined ? null : master === BRIDGE;
  const ds = st.daemons;
  ds.push(
    await daemon(h, 'sshd', await pidFromFile(h, SSHD_PIDFILE, h.daemons.sshd?.pid), {
      proto: 'tcp',
      addr: h.underlayAddress,
      port: 22,
    }),
  );
  if (s.options.overlay === 'tinc') {
    ds.push(
      await daemon(h, 'tincd', await pidFromFile(h, TINC_PIDFILE, h.daemons.tincd?.pid), {
        proto: 'udp',
        addr: '0.0.0.0',
        port: 655,
      }),
    );
  }
  if (s.options.overlay === 'peervpn') {
    // The stand-in (not the real peervpn); its transport is its child tincd, listening on peervpn's port.
    ds.push(await daemon(h, 'peervpn', h.daemons.peervpn?.pid ?? null));
    ds.push(
      await daemon(h, 'tincd', await pidFromFile(h, TINC_PIDFILE), {
        proto: 'udp',
        addr: '0.0.0.0',
        port: PEERVPN_PORT,
      }),
    );
  }
  if (h.daemons.dnsmasq) {
    ds.push(
      await daemon(h, 'dnsmasq', h.daemons.dnsmasq.pid, { proto: 'udp', addr: h.bridgeAddress, port: 53 }),
    );
  } else if (existsSync(hostRunFile(h, DNSMASQ_PIDFILE))) {
    ds.push(await daemon(h, 'dnsmasq', await pidFromFile(h, DNSMASQ_PIDFILE)));
  }
  if (s.options.lxd) {
    ds.push(
      await daemon(h, s.options.daemon === 'incus' ? 'incusd' : 'lxd', h.daemons.lxd?.pid ?? null, {
        proto: 'tcp',
        addr: h.underlayAddress,
        port: 8443,
      }),
    );
  }
  return st;
}

export async function labStatus(): Promise<LabStatus> {
  const s = await readLabState();
  const leftovers = await labLeftovers();
  if (!s) return { up: false, phase: null, options: null, hosts: [], containers: [], faults: [], leftovers };
  const hosts = await pMap(s.hosts, 8, (h) => hostStatus(s, h));
  const containers = (await currentContainers(s).catch(() => [])).map((c) => ({
    name: c.name,
    host: c.host,
    state: c.status ?? (c.address ? 'running' : 'no address'),
    mac: c.mac,
    address: c.address ?? null,
  }));
  if (!s.options.lxd) {
    for (const c of containers) {
      const rec = s.containers.find((x) => x.name === c.name);
      const alive = await pidAlive(rec?.dhclientPid);
      c.state = alive
        ? 'running'
        : rec?.netns && (await netnsExists(rec.netns))
          ? 'dhclient stopped'
          : 'gone';
    }
  }
  const up = s.phase === 'ready' && hosts.every((h) => h.initAlive);
  return { up, phase: s.phase, options: s.options, hosts, containers, faults: s.faults, leftovers };
}

function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const r of rows) {
    for (const [i, c] of r.entries()) widths[i] = Math.max(widths[i] ?? 0, c.length);
  }
  return rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function formatLabStatus(s: LabStatus): string {
  if (!s.options) {
    return s.leftovers.length > 0
      ? `lab: down, but leftovers exist (run \`lxdcheck lab down\`): ${s.leftovers.join(', ')}\n`
      : 'lab: down (nothing running)\n';
  }
  const o = s.options;
  const out: string[] = [];
  out.push(
    `lab: ${s.up ? 'up' : s.phase === 'building' ? 'half-built' : 'broken'} - ${o.hosts} host(s), overlay ${o.overlay}, ${
      o.lxd ? (o.daemon === 'incus' ? 'Incus' : 'LXD') : 'netns'
    } containers x${o.containers}`,
  );
  out.push('');
  const rows: string[][] = [['HOST', 'UNDERLAY', 'BRIDGE', 'INIT', 'PEERVPN0', 'DAEMONS']];
  for (const h of s.hosts) {
    const daemons = h.daemons
      .map((d) => {
        const state = !d.alive ? 'dead' : d.listening === false ? 'not listening' : 'ok';
        return `${d.name}(${d.pid ?? '-'} ${state})`;
      })
      .join(' ');
    const bridged = h.overlayBridged === null ? 'missing' : h.overlayBridged ? 'in lxdbr0' : 'NOT in lxdbr0';
    rows.push([
      h.name,
      h.underlayAddress,
      h.bridgeAddress,
      h.initAlive ? `pid ${h.initPid}` : 'dead',
      bridged,
      daemons,
    ]);
  }
  out.push(table(rows));
  out.push('');
  if (s.containers.length > 0) {
    const crow: string[][] = [['CONTAINER', 'HOST', 'STATE', 'MAC', 'ADDRESS']];
    for (const c of s.containers) crow.push([c.name, c.host, c.state, c.mac, c.address ?? '-']);
    out.push(table(crow));
  } else out.push('no containers');
  out.push('');
  if (s.faults.length > 0) {
    out.push('applied faults (undo with `lxdcheck lab heal`):');
    for (const f of s.faults) out.push(`  ${f.name} on ${f.host}: ${f.detail}`);
  } else out.push('no faults applied');
  return `${out.join('\n')}\n`;
}
