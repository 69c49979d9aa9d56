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

/** Exit code policy from design.md: 0 all passed (warnings allowed unless strict), 1 a check failed or errored. */
export function exitCodeFor(results: readonly CheckResult[], strict: boolean): 0 | 1 {
  const c = countResults(results);
  if (c.fail > 0 || c.error > 0) return 1;
  if (strict && c.warn > 0) return 1;
  return 0;
}

/** Events the engine emits; every reporter and the TUI subscribe to the same stream. */
export type RunEvent =
  | { type: 'run-start'; cluster: string; scenario: string; hosts: string[]; planned: PlannedCheck[] }
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
      /** Where each host's gather time went (JSON `timings`, human `--timings`). */
      timings?: HostTimings[];
    };

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
