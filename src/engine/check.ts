/**
 * A check is data plus one pure function: it declares what it is about
 * (scope), what must hold first (needs), and judges gathered facts.
 */
import type { HostFacts } from '../facts/host-facts.js';
import type { HostSpec, Inventory } from '../inventory/types.js';
import type { Evidence, Hint, Status, Subject } from '../model.js';

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
  /** Instances; defaults by scope (every host, every ordered host pair, the cluster). */
  subjects?(ctx: JudgeContext): Subject[];
  judge(subject: Subject, ctx: JudgeContext): Verdict;
}

export function familyOf(id: string): string {
  return id.split('.')[0] ?? id;
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
