/**
 * What the HTML map draws, computed from the run's results alone (reporters
 * never see HostFacts): one node per host, one link per host pair from the
 * mesh results, the root causes placed on the hosts and links they are about.
 */
import { resultKey } from '../../diagnosis/diagnose.js';
import type { CheckResult, Status, Topology } from '../../model.js';
import type { RunRecord } from '../record.js';

export type LinkState = 'ok' | 'fail' | 'mtu' | 'degraded' | 'unknown';

export interface NodeView {
  name: string;
  index: number;
  bridgeAddress?: string;
  overlayAddress?: string;
  /** The inventory's one DHCP/DNS host. */
  dhcp: boolean;
  daemon?: CheckResult;
  peers?: { connected: number; expected: number; status: Status };
  containers: string[];
  /** containers.listed: how the container list was read (or why it was not). */
  containersListed?: CheckResult;
  /** ssh.reachable failed: nothing about the host could be read. */
  unreachable: boolean;
  /** Every mesh probe to or from it failed: its bridge is cut off from the rest. */
  cutOff: boolean;
  /** Numbers of the root causes on this host. */
  roots: number[];
  /** Numbers of root causes elsewhere (cluster-wide) that name this host. */
  involvedIn: number[];
  /** The worst status of its own results (consequences of a root elsewhere do not count). */
  worst: Status;
}

/** One direction of a host pair: the mesh results with that prober and target. */
export interface DirectionView {
  from: number;
  to: number;
  bridge?: CheckResult;
  pmtu?: CheckResult;
  overlay?: CheckResult;
  state: LinkState;
}

export interface LinkView {
  a: number;
  b: number;
  state: LinkState;
  roots: number[];
  dirs: [DirectionView, DirectionView];
}

export interface MapView {
  nodes: NodeView[];
  links: LinkView[];
  /** Direction views by `from,to` (the matrix). */
  direction: (from: number, to: number) => DirectionView;
  /** Root cause number by its key. */
  rootNumber: ReadonlyMap<string, number>;
  /** Root causes not about one host (cluster-wide findings). */
  clusterRoots: number[];
}

const RANK: Record<Status, number> = { pass: 0, skip: 1, warn: 2, error: 3, fail: 4 };

export function worse(a: Status, b: Status): Status {
  return RANK[b] > RANK[a] ? b : a;
}

const bad = (r: CheckResult | undefined) => r !== undefined && (r.status === 'fail' || r.status === 'error');

function directionState(d: Omit<DirectionView, 'state'>): LinkState {
  const all = [d.bridge, d.overlay, d.pmtu].filter((r): r is CheckResult => r !== undefined);
  if (bad(d.bridge) || bad(d.overlay)) return 'fail';
  if (bad(d.pmtu)) return 'mtu';
  if (all.some((r) => r.status === 'warn')) return 'degraded';
  if (all.some((r) => r.status === 'pass')) return 'ok';
  return 'unknown';
}

const LINK_RANK: Record<LinkState, number> = { unknown: 0, ok: 1, degraded: 2, mtu: 3, fail: 4 };

export function num(r: CheckResult | undefined, key: string): number | undefined {
  const v = r?.metrics?.[key];
  return typeof v === 'number' ? v : undefined;
}

export function buildMapView(run: RunRecord, topology: Topology | undefined): MapView {
  const names: string[] = [];
  const seen = new Set<string>();
  const add = (n: string | undefined) => {
    if (n === undefined || seen.has(n)) return;
    seen.add(n);
    names.push(n);
  };
  for (const h of topology?.hosts ?? []) add(h.name);
  for (const h of run.hosts) add(h);
  for (const r of run.results) {
    add(r.subject.host);
    add(r.subject.peer);
  }
  const index = new Map(names.map((n, i) => [n, i]));
  const rootCauses = run.diagnosis?.rootCauses ?? [];
  const rootNumber = new Map(rootCauses.map((c, i) => [c.key, i + 1]));

  const nodes: NodeView[] = names.map((name, i) => {
    const t = topology?.hosts.find((h) => h.name === name);
    return {
      name,
      index: i,
      ...(t?.bridgeAddress ? { bridgeAddress: t.bridgeAddress } : {}),
      ...(t?.overlayAddress ? { overlayAddress: t.overlayAddress } : {}),
      dhcp: topology?.dhcpHost === name,
      containers: [],
      unreachable: false,
      cutOff: false,
      roots: [],
      involvedIn: [],
      worst: 'pass',
    };
  });
  const containerSets = names.map(() => new Set<string>());
  const dirs = new Map<string, Omit<DirectionView, 'state'>>();
  const dirOf = (a: number, b: number) => {
    const k = `${a},${b}`;
    let d = dirs.get(k);
    if (!d) {
      d = { from: a, to: b };
      dirs.set(k, d);
    }
    return d;
  };

  for (const r of run.results) {
    const s = r.subject;
    const hi = s.host !== undefined ? index.get(s.host) : undefined;
    const pi = s.peer !== undefined ? index.get(s.peer) : undefined;
    if (s.container !== undefined && hi !== undefined) containerSets[hi]!.add(s.container);
    if (s.peerContainer !== undefined && pi !== undefined) containerSets[pi]!.add(s.peerContainer);
    if (hi === undefined) continue;
    const node = nodes[hi]!;
    // A failure another root explains says nothing about this host itself.
    if (r.causedBy === undefined) node.worst = worse(node.worst, r.status);
    if (s.peer === undefined && s.container === undefined) {
      if (r.id === 'ssh.reachable' && bad(r)) node.unreachable = true;
      if (r.id === 'overlay.daemon') node.daemon = r;
      if (r.id === 'containers.listed') node.containersListed = r;
      if (r.id === 'overlay.peers') {
        const connected = num(r, 'peersConnected');
        const expected = num(r, 'peersExpected');
        if (connected !== undefined && expected !== undefined)
          node.peers = { connected, expected, status: r.status };
      }
    }
    // Host-to-host mesh probes only (container pairs are about containers, not the hosts' bridges).
    if (pi !== undefined && s.container === undefined && s.peerContainer === undefined) {
      const d = dirOf(hi, pi);
      if (r.id === 'mesh.bridge') d.bridge = r;
      else if (r.id === 'mesh.pmtu') d.pmtu = r;
      else if (r.id === 'mesh.overlay') d.overlay = r;
    }
  }
  nodes.forEach((n, i) => {
    n.containers = [...containerSets[i]!].sort();
  });

  const direction = (from: number, to: number): DirectionView => {
    const d = dirs.get(`${from},${to}`) ?? { from, to };
    return { ...d, state: directionState(d) };
  };

  const links: LinkView[] = [];
  for (let a = 0; a < names.length; a++) {
    for (let b = a + 1; b < names.length; b++) {
      const pair: [DirectionView, DirectionView] = [direction(a, b), direction(b, a)];
      const state = LINK_RANK[pair[0].state] >= LINK_RANK[pair[1].state] ? pair[0].state : pair[1].state;
      const roots = new Set<number>();
      for (const d of pair) {
        for (const r of [d.bridge, d.pmtu, d.overlay]) {
          if (!r) continue;
          const own = r.root ? rootNumber.get(resultKey(r)) : undefined;
          const by = r.causedBy !== undefined ? rootNumber.get(r.causedBy) : undefined;
          if (own !== undefined) roots.add(own);
          if (by !== undefined) roots.add(by);
        }
      }
      links.push({ a, b, state, roots: [...roots].sort((x, y) => x - y), dirs: pair });
    }
  }

  // A host is cut off when it was probed and every probe between it and any other host failed,
  // unless each failure is explained by a root on the other end (then those hosts are cut off, not it).
  const rootHost = new Map(rootCauses.map((c) => [c.key, c.host ?? c.subject.host]));
  for (const n of nodes) {
    const touching = links
      .filter((l) => l.a === n.index || l.b === n.index)
      .flatMap((l) => l.dirs)
      .map((d) => d.bridge)
      .filter((r): r is CheckResult => r !== undefined && r.status !== 'skip');
    const elsewhere = (r: CheckResult) => {
      const h = r.causedBy !== undefined ? rootHost.get(r.causedBy) : undefined;
      return h !== undefined && h !== n.name;
    };
    n.cutOff = touching.length > 0 && touching.every((r) => bad(r)) && !touching.every(elsewhere);
  }

  const clusterRoots: number[] = [];
  rootCauses.forEach((c, i) => {
    const host = c.host ?? c.subject.host;
    const hi = host !== undefined ? index.get(host) : undefined;
    if (hi !== undefined && c.subject.peer === undefined) nodes[hi]!.roots.push(i + 1);
    else if (hi === undefined) clusterRoots.push(i + 1);
    // A root about a pair (host->peer) marks that link as well as its host.
    if (hi !== undefined && c.subject.peer !== undefined) {
      const pi = index.get(c.subject.peer);
      const link = links.find((l) => (l.a === hi && l.b === pi) || (l.b === hi && l.a === pi));
      if (link && !link.roots.includes(i + 1)) link.roots.push(i + 1);
      nodes[hi]!.roots.push(i + 1);
    }
    // Hosts a root result names besides its subject (a second DHCP server, a duplicate's owners).
    const root = run.results.find((r) => resultKey(r) === c.key);
    for (const other of root?.involves ?? []) {
      const oi = index.get(other);
      if (oi !== undefined && oi !== hi && !nodes[oi]!.involvedIn.includes(i + 1))
        nodes[oi]!.involvedIn.push(i + 1);
    }
  });

  return { nodes, links, direction, rootNumber, clusterRoots };
}
