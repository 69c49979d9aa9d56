/**
 * The run as the end-of-run reporters (human, JSON, JUnit) need it, built
 * from the event stream in one place. The engine's final result list wins
 * when it is complete; a bail-out or abort is remembered.
 */
import type { CheckResult, Diagnosis, HostTimings, PlannedCheck, RunEvent } from '../model.js';
import type { Reporter, Sink } from './types.js';

export interface RunRecord {
  cluster: string;
  scenario: string;
  hosts: string[];
  planned: PlannedCheck[];
  startedAt: Date | null;
  results: CheckResult[];
  /** Keys of the instances that produced a result (JUnit lists the rest as not run). */
  seenKeys: Set<string>;
  aborted?: string;
  durationMs: number | null;
  ended: boolean;
  /** The root causes, when the engine got as far as judging. */
  diagnosis?: Diagnosis;
  /** Per-host gather timings from run-end, when the engine sent them. */
  timings?: HostTimings[];
}

export function createRunRecord(): RunRecord {
  return {
    cluster: '',
    scenario: '',
    hosts: [],
    planned: [],
    startedAt: null,
    results: [],
    seenKeys: new Set(),
    durationMs: null,
    ended: false,
  };
}

/** Fold one event into the record; true when it was the run's end. */
export function recordEvent(r: RunRecord, e: RunEvent, now: () => Date): boolean {
  switch (e.type) {
    case 'run-start':
      r.startedAt = now();
      r.cluster = e.cluster;
      r.scenario = e.scenario;
      r.hosts = [...e.hosts];
      r.planned = [...e.planned];
      return false;
    case 'result':
      r.seenKeys.add(e.key);
      r.results.push(e.result);
      return false;
    case 'bail-out':
      r.aborted ??= e.reason;
      return false;
    case 'run-end':
      if (e.results.length >= r.results.length) r.results = [...e.results];
      if (e.aborted !== undefined) r.aborted = e.aborted;
      if (e.diagnosis !== undefined) r.diagnosis = e.diagnosis;
      r.durationMs = e.durationMs;
      if (e.timings !== undefined) r.timings = e.timings;
      r.ended = true;
      return true;
    default:
      return false;
  }
}

/** A run that never ended (a crash): say so, and time it up to now. */
export function closeUnfinished(r: RunRecord, now: () => Date): void {
  r.aborted ??= 'run did not finish';
  r.durationMs ??= r.startedAt ? Math.max(0, now().getTime() - r.startedAt.getTime()) : 0;
  r.ended = true;
}

/**
 * A reporter that writes one document when the run ends (or, if it never
 * ends, when it is finished): `render` turns the record into text;
 * `onEvent` sees every event first (for progress lines).
 */
export function endOfRunReporter(
  sink: Sink,
  render: (run: RunRecord) => string,
  opts: { now?: () => Date; onEvent?: (e: RunEvent) => void } = {},
): Reporter {
  const now = opts.now ?? (() => new Date());
  const run = createRunRecord();
  let written = false;
  const write = () => {
    if (written) return;
    written = true;
    sink.write(render(run));
  };
  return {
    onEvent(e: RunEvent) {
      opts.onEvent?.(e);
      if (recordEvent(run, e, now)) write();
    },
    async finish() {
      if (!written) {
        closeUnfinished(run, now);
        write();
      }
      await sink.end();
    },
  };
}
