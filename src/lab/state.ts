/** The lab's state file: what exists, by PID and address, and which faults are applied. */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { STATE_DIR, STATE_FILE } from './constants.js';

export interface LabOptions {
  /** 1..30, default 3 */
  hosts: number;
  /** peervpn: the lab's peervpn stand-in (src/lab/peervpn.ts) over tinc in switch mode. */
  overlay: 'tinc' | 'vxlan' | 'peervpn';
  /** false: containers are network namespaces with ISC dhclient */
  lxd: boolean;
  /** With lxd: which daemon runs the containers (absent in older state files: LXD). */
  daemon?: 'lxd' | 'incus';
  /** default = hosts */
  containers: number;
}

/** A daemon on a lab host: `pid` as the root namespace sees it, `nsPid` as its host sees it. */
export interface DaemonRef {
  pid: number;
  nsPid: number;
  /** The command line it was started with (argv), to restart it the same way. */
  argv: string[];
}

export interface LabHost {
  name: string;
  index: number;
  netns: string;
  /** PID (root namespace) of the host's init: PID 1 of its PID namespace. */
  initPid: number;
  /** The `unshare` parent of the init (root namespace). */
  wrapperPid: number;
  underlayAddress: string;
  bridgeAddress: string;
  bridgeMac: string;
  overlayAddress: string;
  /** Private dirs bind-mounted into the host (etc-ssh, etc-tinc, root, run, misc, log). */
  dir: string;
  /** The container daemon's kind on an Incus lab (absent: LXD, or no daemon with --no-lxd). */
  daemon?: 'incus';
  daemons: {
    sshd?: DaemonRef;
    tincd?: DaemonRef;
    dnsmasq?: DaemonRef;
    /** The container daemon: lxd, or incusd on an Incus lab. */
    lxd?: DaemonRef;
    /** The peervpn stand-in (its tincd is its child and not recorded). */
    peervpn?: DaemonRef;
  };
}

export interface LabContainer {
  name: string;
  host: string;
  kind: 'netns' | 'lxd';
  mac: string;
  /** netns containers: the namespace and the dhclient PID (root namespace). */
  netns?: string;
  dhclientPid?: number;
  /** Last address seen (the lease). */
  address?: string;
  /** LXD's status (Running, Stopped) or, for netns containers, running/stopped. */
  status?: string;
}

export interface AppliedFault {
  /** A FaultName of faults/index.ts: a plain string here, so the state (which the faults use) does not import their registry. */
  name: string;
  host: string;
  at: string;
  /** What was done, as labBreak reported it. */
  detail: string;
  /** Whatever heal needs to undo it. */
  data?: Record<string, unknown>;
}

export interface LabState {
  version: 1;
  options: LabOptions;
  phase: 'building' | 'ready';
  startedAt: string;
  readyAt?: string;
  blackholes: string[];
  underlay: { netns: string; bridge: string; gateway: string; rootLink: string; rootAddress: string };
  clientKey: string;
  knownHosts: string;
  hosts: LabHost[];
  containers: LabContainer[];
  faults: AppliedFault[];
  /** Extra processes the lab started outside the hosts' inits (by PID, root namespace). */
  extraPids: number[];
  /** Directories the lab created outside its own trees (removed on down when empty). */
  createdDirs?: string[];
  /** Time the last `up` took, for the record. */
  upMs?: number;
  /** The machine's ARP table thresholds before the lab raised them (neigh.ts), and what it set. */
  neigh?: { old: { gc_thresh2: number; gc_thresh3: number }; set: number };
}

export async function readLabState(): Promise<LabState | null> {
  let text: string;
  try {
    text = await readFile(STATE_FILE, 'utf8');
  } catch {
    return null;
  }
  try {
    const s = JSON.parse(text) as LabState;
    return s.version === 1 ? s : null;
  } catch {
    return null;
  }
}

export async function writeLabState(state: LabState): Promise<void> {
  await mkdir(STATE_DIR, { recursive: true });
  const tmp = `${STATE_FILE}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(state, null, 2)}\n`);
  await rename(tmp, STATE_FILE);
}

export function findHost(state: LabState, name: string): LabHost {
  const h = state.hosts.find((x) => x.name === name);
  if (!h) throw new Error(`no lab host ${name} (hosts: ${state.hosts.map((x) => x.name).join(', ')})`);
  return h;
}

export async function requireState(): Promise<LabState> {
  const s = await readLabState();
  if (!s) throw new Error('the lab is not up (no /run/lxlab/state.json): run `lxdcheck lab up` first');
  return s;
}
