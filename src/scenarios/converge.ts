/**
 * post-reboot: re-run the checks in rounds until everything passes or the
 * deadline passes (goss's --retry-timeout). Reporters see one complete
 * stream: progress comments for each round, then the last round's results;
 * when it ends unconverged it leads with the service-order diagnosis.
 */
import type { RunOutcome, RunSpec } from '../engine/run.js';
import { runChecks } from '../engine/run.js';
import type { CauseSighting, CheckResult, Diagnosis, RunEvent, TimelineEntry } from '../model.js';
import { subjectLabel } from '../model.js';

export interface ConvergeOptions {
  waitMs: number;
  intervalMs: number;
  /** Hosts up for less than this are reported as recently rebooted. */
  recentBootSeconds?: number;
}

const failing = (r: CheckResult) => r.status === 'fail' || r.status === 'error';

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });
}

/** The lines that lead an unconverged report: why, in service-order terms first. */
export function unconvergedLines(outcome: RunOutcome, o: ConvergeOptions, waitedMs: number): string[] {
  const lines = [`post-reboot: not converged after ${Math.round(waitedMs / 1000)} s`];
  const recent = [...outcome.facts.values()]
    .filter((f) => f.uptimeSeconds !== null && f.uptimeSeconds < (o.recentBootSeconds ?? 900))
    .map((f) => `${f.host} (up ${Math.round(f.uptimeSeconds ?? 0)} s)`);
  if (recent.length) lines.push(`recently rebooted: ${recent.join(', ')}`);
  const order = outcome.results.filter((r) => r.id.startsWith('service-order.') && failing(r));
  for (const r of order) {
    lines.push(`service order on ${subjectLabel(r.subject)}: ${r.summary}`);
    for (const e of r.evidence) if (e.excerpt) lines.push(`  log: ${e.excerpt.split('\n')[0]}`);
    for (const f of r.hint?.fix ?? []) lines.push(`  fix: ${f}`);
  }
  const others = outcome.results.filter((r) => failing(r) && !r.id.startsWith('service-order.'));
  if (others.length)
    lines.push(`still failing: ${others.map((r) => `${r.id} ${subjectLabel(r.subject)}`.trim()).join(', ')}`);
  return lines;
}

/** Root causes seen over the rounds: when each was first and last seen, and whether it healed. */
export class CauseTimeline {
  private readonly entries = new Map<string, TimelineEntry>();
  private lastRoundKeys = new Set<string>();

  observe(round: number, seconds: number, outcome: RunOutcome): void {
    const keys = new Set<string>();
    for (const c of outcome.diagnosis?.rootCauses ?? []) {
      keys.add(c.key);
      const uptime = c.host !== undefined ? outcome.facts.get(c.host)?.uptimeSeconds : undefined;
      const seen: CauseSighting = {
        round,
        seconds,
        ...(uptime !== undefined && uptime !== null ? { hostUptimeSeconds: Math.round(uptime) } : {}),
      };
      const known = this.entries.get(c.key);
      if (known) known.lastSeen = seen;
      else
        this.entries.set(c.key, {
          key: c.key,
          check: c.check,
          ...(c.host !== undefined ? { host: c.host } : {}),
          summary: c.summary,
          firstSeen: seen,
          lastSeen: seen,
          healed: false,
        });
    }
    this.lastRoundKeys = keys;
  }

  /** Entries in the order first seen; a cause absent from the last round healed during the wait. */
  entriesAtEnd(): TimelineEntry[] {
    return [...this.entries.values()].map((e) => ({ ...e, healed: !this.lastRoundKeys.has(e.key) }));
  }
}

export async function runUntilConverged(
  spec: RunSpec,
  o: ConvergeOptions,
): Promise<RunOutcome & { rounds: number; converged: boolean }> {
  const started = Date.now();
  const deadline = started + o.waitMs;
  let round = 0;
  const notes: string[] = [];
  const timeline = new CauseTimeline();
  for (;;) {
    round++;
    const buffered: RunEvent[] = [];
    const outcome = await runChecks({ ...spec, emit: (e) => buffered.push(e) });
    const bad = outcome.results.filter(failing);
    const converged = bad.length === 0;
    const seconds = Math.round((Date.now() - started) / 1000);
    timeline.observe(round, seconds, outcome);
    const last = converged || outcome.aborted !== undefined || Date.now() + o.intervalMs > deadline;
    notes.push(
      `round ${round} after ${Math.round((Date.now() - started) / 1000)} s: ${
        converged
          ? 'everything passes'
          : `${bad.length} failing (${bad
              .map((r) => `${r.id} ${subjectLabel(r.subject)}`.trim())
              .slice(0, 6)
              .join(', ')}${bad.length > 6 ? ', …' : ''})`
      }`,
    );
    if (last) {
      if (!converged && !outcome.aborted)
        notes.unshift(...unconvergedLines(outcome, o, Date.now() - started));
      // The diagnosis of the whole wait, not only of the last round.
      const diagnosis: Diagnosis = {
        rootCauses: outcome.diagnosis?.rootCauses ?? [],
        timeline: timeline.entriesAtEnd(),
        converged: converged ? { round, seconds } : null,
        rounds: round,
      };
      for (const t of diagnosis.timeline ?? []) {
        notes.push(
          `root cause ${t.key}: first seen in round ${t.firstSeen.round} (${t.firstSeen.seconds} s), last in round ${t.lastSeen.round} (${t.lastSeen.seconds} s)${t.healed ? ', then healed by itself' : ', still there'}`,
        );
      }
      // One complete stream: the last round's run-start, then the story of the rounds, then its results.
      const [start, ...rest] = buffered;
      if (start) spec.emit(start);
      for (const message of notes) spec.emit({ type: 'progress', message });
      for (const e of rest) spec.emit(e.type === 'run-end' ? { ...e, diagnosis } : e);
      return { ...outcome, diagnosis, rounds: round, converged };
    }
    await sleep(o.intervalMs, spec.signal);
  }
}
