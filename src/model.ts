/**
 * The one result model every view (TAP, JSON, JUnit, human, TUI) renders.
 * Kept free of I/O so reporters, checks and tests can share it.
 */

export type Status = 'pass' | 'fail' | 'warn' | 'skip' | 'error';

/** What a result is about. A host pair is directional: `host` probes `peer`. */
export interface Subject {
  host?: string;
  peer?: string;
  container?: string;
  peerContainer?: string;
}

/** One piece of evidence: what was run where, and what it printed (an excerpt, never secrets). */
export interface Evidence {
  host?: string;
  command?: string;
  exitCode?: number | null;
  excerpt?: string;
  /** Free-form note, e.g. "brctl not installed; read /sys/class/net/lxdbr0/brif instead". */
  note?: string;
}

export interface Hint {
  /** Why this matters, one or two sentences. */
  why?: string;
  /** Exact commands that fix it, in the order to run them. */
  fix?: string[];
}

/**
 * What a check measured, as data: the TUI matrix, the diagnosis and JSON
 * consumers read these, never the prose. Well-known keys: `sent`, `received`,
 * `lossPercent`, `rttMinMs`, `rttAvgMs`, `rttMaxMs`, `mtu`, `largestMtu`,
 * `peersConnected`, `peersExpected`.
 */
export type Metrics = Record<string, number | string | boolean>;

/** A reference to one result: the check id and the subject it is about. */
export interface ResultRef {
  check: string;
  subject: Subject;
}

/**
 * What an L2 fault breaks. `host`: everything about the host (it cannot be
 * read); `l2`: its bridge is cut off from the overlay (every frame to or from
 * it); `address`: its bridge address; `mtu`: full-size frames; `dns`: the
 * one dnsmasq's service; `multicast`: group traffic.
 */
export type Layer = 'host' | 'l2' | 'address' | 'mtu' | 'dns' | 'multicast';

export interface CheckResult {
  /** Stable check id, e.g. `overlay.member`. */
  id: string;
  /** Human title for this instance, e.g. `peervpn0 is a port of lxdbr0`. */
  title: string;
  subject: Subject;
  status: Status;
  /** One line: what is wrong (or right). */
  summary: string;
  expected?: string;
  actual?: string;
  evidence: Evidence[];
  hint?: Hint;
  durationMs: number;
  /** What was measured (see Metrics). */
  metrics?: Metrics;
  /** Hosts besides the subject's that this result is about (missing peers, hosts a cluster finding names). */
  involves?: string[];
  /** The failing result that the check itself found explains this one. */
  cause?: ResultRef;
  /** What this failure breaks, when the check knows (overrides its definition's default). */
  breaks?: Layer[];
  /** Set by the diagnosis: this failure is a root cause. */
  root?: boolean;
  /** Set by the diagnosis: the root cause that explains this result (`<check id> <subject>`). */
  causedBy?: string;
}

/** A label for the subject: `lxd1`, `lxd1->lxd2`, `c1@lxd1`, or '' for cluster-wide results. */
export function subjectLabel(s: Subject): string {
  const left = s.container ? `${s.container}@${s.host ?? '?'}` : (s.host ?? '');
  if (s.peer || s.peerContainer) {
    const right = s.peerContainer ? `${s.peerContainer}@${s.peer ?? '?'}` : (s.peer ?? '');
    return `${left}->${right}`;
  }
  return left;
}

/** The check family: the id up to the first dot (`dhcp.single` → `dhcp`). */
export function familyOf(id: string): string {
  const dot = id.indexOf('.');
  return dot > 0 ? id.slice(0, dot) : id;
}

/** Counts by status, for summaries and exit codes. */
export type Counts = Record<Status, number> & { total: number };

export function countResults(results: readonly CheckResult[]): Counts {
  const counts: Counts = { pass: 0, fail: 0, warn: 0, skip: 0, error: 0, total: 0 };
  for (const r of results) {
    counts[r.status]++;
    counts.total++;
  }
  return counts;
}

/** Exit code policy (README "Usage"): 0 all passed (warnings allowed unless strict), 1 a check failed or errored. */
export function exitCodeFor(results: readonly CheckResult[], strict: boolean): 0 | 1 {
  const c = countResults(results);
  if (c.fail > 0 || c.error > 0) return 1;
  if (strict && c.warn > 0) return 1;
  return 0;
}

/** Events the engine emits; every reporter and the TUI subscribe to the same stream. */
export type RunEvent =
  | {
      type: 'run-start';
      cluster: string;
      scenario: string;
      hosts: string[];
      planned: PlannedCheck[];
      /** The cluster as the inventory declares it (for views that draw it, e.g. the HTML map). */
      topology?: Topology;
    }
  | { type: 'host-gather-start'; host: string }
  | { type: 'host-gather-end'; host: string; ok: boolean; error?: string; durationMs: number }
  | { type: 'check-start'; key: string; id: string; subject: Subject }
  | { type: 'result'; key: string; result: CheckResult }
  | { type: 'progress'; message: string }
  | { type: 'bail-out'; reason: string }
  | {
      type: 'run-end';
      results: CheckResult[];
      durationMs: number;
      aborted?: string;
      diagnosis?: Diagnosis;
      /** Where each host's gather time went (JSON `timings`, human `--timings`). */
      timings?: HostTimings[];
    };

/** The inventory's shape of the cluster, carried by run-start: names and addresses only, never credentials. */
export interface Topology {
  /** Base name of the inventory file ('' when built in memory). */
  inventory: string;
  bridge: string;
  overlay: { type: string; interface: string };
  /** The one host whose dnsmasq serves DHCP and DNS. */
  dhcpHost: string;
  hosts: { name: string; bridgeAddress: string; overlayAddress?: string }[];
}

/** One root cause: a failure that explains others, or that nothing else explains. */
export interface RootCause {
  /** `<check id> <subject>`, the key of the root result. */
  key: string;
  /** The id of the check that is the root cause. */
  check: string;
  host?: string;
  subject: Subject;
  status: Status;
  summary: string;
  /** Exact commands, in order. */
  fix: string[];
  /** Keys (`<check id> <subject>`) of the failures it explains. */
  explains: string[];
  /** Set when the root is inferred from a pattern (e.g. every pair touching one host fails) rather than one result. */
  inferred?: boolean;
}

/** When a root cause was seen during a converging run (post-reboot). */
export interface CauseSighting {
  round: number;
  /** Seconds since the run started. */
  seconds: number;
  /** Seconds since the host booted, where known. */
  hostUptimeSeconds?: number;
}

export interface TimelineEntry {
  key: string;
  check: string;
  host?: string;
  summary: string;
  firstSeen: CauseSighting;
  lastSeen: CauseSighting;
  /** It was gone in the last round: healed during the wait (a race that happened to win). */
  healed: boolean;
}

export interface Diagnosis {
  rootCauses: RootCause[];
  /** post-reboot: each root cause seen over the rounds. */
  timeline?: TimelineEntry[];
  /** post-reboot: when everything passed, or null when it never did. */
  converged?: { round: number; seconds: number } | null;
  rounds?: number;
}

/** One host's gather time: per stage (one compound command each) and per section (host-side clock). */
export interface HostTimings {
  host: string;
  /** Connect plus every stage, as the runner saw it. */
  totalMs: number;
  stages: { name: string; durationMs: number }[];
  /** Slowest first. */
  sections: { name: string; stage?: string; durationMs: number; timedOut?: boolean }[];
}

/** A check instance known before it runs (for plans, TUI rows and JUnit skeletons). */
export interface PlannedCheck {
  key: string;
  id: string;
  title: string;
  subject: Subject;
}
