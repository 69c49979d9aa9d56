/**
 * post-reboot: re-run the checks in rounds until everything passes or the
 * deadline passes (goss's --retry-timeout). Reporters see one complete
 * stream: progress comments for each round, then the last round's results;
 * when it ends unconverged it leads with the service-order diagnosis.
 */
import type { RunOutcome, RunSpec } from '../engine/run.js';
import { runChecks } from '../engine/run.js';
import type { CheckResult, RunEvent } from '../model.js';
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
export function diagnosis(outcome: RunOutcome, o: ConvergeOptions, waitedMs: number): string[] {
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

export async function runUntilConverged(
  spec: RunSpec,
  o: ConvergeOptions,
): Promise<RunOutcome & { rounds: number; converged: boolean }> {
  const started = Date.now();
  const deadline = started + o.waitMs;
  let round = 0;
  const notes: string[] = [];
  for (;;) {
    round++;
    const buffered: RunEvent[] = [];
    const outcome = await runChecks({ ...spec, emit: (e) => buffered.push(e) });
    const bad = outcome.results.filter(failing);
    const converged = bad.length === 0;
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
      if (!converged && !outcome.aborted) notes.unshift(...diagnosis(outcome, o, Date.now() - started));
      // One complete stream: the last round's run-start, then the story of the rounds, then its results.
      const [start, ...rest] = buffered;
      if (start) spec.emit(start);
      for (const message of notes) spec.emit({ type: 'progress', message });
      for (const e of rest) spec.emit(e);
      return { ...outcome, rounds: round, converged };
    }
    await sleep(o.intervalMs, spec.signal);
  }
}
