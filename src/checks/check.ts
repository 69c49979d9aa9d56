/**
 * A check is data plus one pure function: it declares what it is about
 * (scope), what must hold first (needs), and judges gathered facts.
 */
import { fanReason } from '../facts/fan.js';
import type { HostFacts } from '../facts/host-facts.js';
import type { HostSpec, Inventory } from '../inventory/types.js';
import {
  type Evidence,
  type Hint,
  type Layer,
  type Metrics,
  type ResultRef,
  type Status,
  type Subject,
  subjectLabel,
} from '../model.js';

export type Scope = 'cluster' | 'host' | 'pair' | 'container' | 'container-pair';

/** Everything a judge may look at. Facts for an unreachable host are present with reachable=false. */
export interface JudgeContext {
  inventory: Inventory;
  hosts: ReadonlyMap<string, HostFacts>;
  /** Options that change verdicts (e.g. strict), never I/O. */
  options: { strict: boolean };
}

export interface Verdict {
  status: Status;
  summary: string;
  expected?: string;
  actual?: string;
  evidence?: Evidence[];
  hint?: Hint;
  /** What was measured, as data (the TUI and the diagnosis read this, never the prose). */
  metrics?: Metrics;
  /** Hosts besides the subject's this result is about (e.g. the missing peers). */
  involves?: string[];
  /** The failing result this check knows explains its own failure. */
  cause?: ResultRef;
  /** What this failure breaks (overrides CheckDef.diagnosis.breaks). */
  breaks?: Layer[];
}

/**
 * How a check's failures relate to others, for the diagnosis stage
 * (src/diagnosis). Declared per check, so a new check brings its own.
 */
export interface DiagnosisRole {
  /** What a failure of this check breaks for its host (and the hosts its result involves). */
  breaks?: readonly Layer[];
  /** What this check needs from every host it involves: a broken layer there explains its failure. */
  needs?: readonly Layer[];
  /** It also depends on the one DHCP/DNS host (DNS answers, leases, names). */
  usesDhcpHost?: boolean;
  /** Checks on the same host that a failure of this one explains (globs allowed: `overlay.*`). */
  explains?: readonly string[];
  /** Among one host's failures, the lower rank is the deeper cause (default 100). */
  rank?: number;
  /**
   * Pair checks: when the failing pairs all touch one host and nothing there
   * explains them, that host is blamed (an inferred root) with this.
   */
  pattern?: {
    breaks?: readonly Layer[];
    fix?(host: string | null, inv: Inventory): string[];
  };
}

export interface CheckDef {
  id: string;
  /** Family = the id's first part; groups checks in `list`, JUnit and the TUI. */
  scope: Scope;
  /** Title of one instance, e.g. `peervpn0 is a port of lxdbr0`. */
  title(subject: Subject, inv: Inventory): string;
  /**
   * Check ids that must pass (or warn) first, for every host this subject
   * involves. A failed or skipped prerequisite turns this check into SKIP.
   */
  needs?: readonly string[];
  /** For `lxdcheck list` / `explain`. */
  proves: string;
  whyItFails: string;
  howToFix: string;
  /**
   * Judged on the facts of later gather stages (probes that need every
   * host's first answers, e.g. DNS names from the leases). Such per-host
   * checks are shown with the cluster-wide results, after all hosts.
   */
  late?: boolean;
  /**
   * A per-host judge that also reads other hosts' stage-one facts: it is
   * judged once every host has answered (still shown in its host's group).
   */
  readsOtherHosts?: boolean;
  /**
   * A check of the L2 overlay (the VPN device, its peers, its routes) or of what only one shared
   * L2 has (the one dnsmasq serving DHCP and DNS for every host): on a cluster joined by the
   * Ubuntu Fan instead (a managed bridge with bridge.mode=fan, each host's daemon serving its own
   * slice) it skips, saying so (judgeCheck).
   */
  l2Overlay?: boolean;
  /** Instances; defaults by scope (every host, every ordered host pair, the cluster). */
  subjects?(ctx: JudgeContext): Subject[];
  judge(subject: Subject, ctx: JudgeContext): Verdict;
  diagnosis?: DiagnosisRole;
}

/** Judge one subject: what the engine calls, so the Fan rule (CheckDef.l2Overlay) holds for every check. */
export function judgeCheck(check: CheckDef, subject: Subject, ctx: JudgeContext): Verdict {
  if (check.l2Overlay) {
    const why = fanReason(ctx.hosts);
    if (why) return skip(why);
  }
  return check.judge(subject, ctx);
}

export function hostSpec(inv: Inventory, name: string | undefined): HostSpec {
  const h = inv.hosts.find((x) => x.name === name);
  if (!h) throw new Error(`no host ${name} in the inventory`);
  return h;
}

/** The facts of the subject's host; judges only run when ssh.reachable passed, so it exists. */
export function factsOf(ctx: JudgeContext, host: string | undefined): HostFacts {
  const f = host ? ctx.hosts.get(host) : undefined;
  if (!f) throw new Error(`no facts for host ${host}`);
  return f;
}

export const pass = (summary: string, extra: Omit<Verdict, 'status' | 'summary'> = {}): Verdict => ({
  status: 'pass',
  summary,
  ...extra,
});
export const fail = (summary: string, extra: Omit<Verdict, 'status' | 'summary'> = {}): Verdict => ({
  status: 'fail',
  summary,
  ...extra,
});
export const warn = (summary: string, extra: Omit<Verdict, 'status' | 'summary'> = {}): Verdict => ({
  status: 'warn',
  summary,
  ...extra,
});
export const skip = (summary: string, extra: Omit<Verdict, 'status' | 'summary'> = {}): Verdict => ({
  status: 'skip',
  summary,
  ...extra,
});

/** A check instance's key: its id and its subject's label (`mesh.bridge lxd1→lxd2`). */
export function instanceKey(id: string, subject: Subject): string {
  const label = subjectLabel(subject);
  return label ? `${id} ${label}` : id;
}

/**
 * A prerequisite is a check id, about every host the subject involves;
 * `id@host` limits it to the subject's own host (a ping from A to B needs
 * SSH to A only: B may be down, which is what the ping is there to say).
 */
export function parseNeed(need: string): { id: string; hostOnly: boolean } {
  return need.endsWith('@host') ? { id: need.slice(0, -5), hostOnly: true } : { id: need, hostOnly: false };
}

/** Reject registries whose checks need later (or unknown) checks: judging runs in registry order. */
export function validateRegistry(checks: readonly CheckDef[]): void {
  const seen = new Set<string>();
  for (const c of checks) {
    if (seen.has(c.id)) throw new Error(`duplicate check id ${c.id}`);
    for (const n of (c.needs ?? []).map((x) => parseNeed(x).id)) {
      if (!seen.has(n)) throw new Error(`check ${c.id} needs ${n}, which is not registered before it`);
    }
    seen.add(c.id);
  }
}
