/** JSON reporter: one `lxdcheck.results/v1` document, written when the run ends (see docs/json-schema.md). */
import { type CheckResult, type Counts, countResults, type Diagnosis, type HostTimings } from '../model.js';
import { endOfRunReporter } from './record.js';
import { redactDiagnosis, redactResult } from './redact.js';
import type { Reporter, Sink } from './types.js';

export const RESULTS_SCHEMA_ID = 'lxdcheck.results/v1';
/** Minor versions add optional fields only: 1.1 added `diagnosis` and the results' metrics and causes. */
export const RESULTS_SCHEMA_VERSION = '1.1';

export interface ResultsDocument {
  schema: typeof RESULTS_SCHEMA_ID;
  schemaVersion: typeof RESULTS_SCHEMA_VERSION;
  cluster: string;
  scenario: string;
  /** ISO 8601 time of run-start. */
  startedAt: string;
  durationMs: number;
  counts: Counts;
  hosts: string[];
  results: CheckResult[];
  /** Root causes first: what explains the failures (absent when the run never got to judging). */
  diagnosis?: Diagnosis;
  /** Why the run stopped early (bail-out or abort); absent when it completed. */
  aborted?: string;
  /** Where each host's gather time went (stages, sections slowest first); absent when not known. */
  timings?: HostTimings[];
}

export interface JsonReporterOptions {
  /** Clock for `startedAt` (tests). */
  now?: () => Date;
}

export function createJsonReporter(sink: Sink, opts: JsonReporterOptions = {}): Reporter {
  const now = opts.now ?? (() => new Date());
  return endOfRunReporter(
    sink,
    (run) => {
      const start = run.startedAt ?? now();
      const redacted = run.results.map(redactResult);
      const doc: ResultsDocument = {
        schema: RESULTS_SCHEMA_ID,
        schemaVersion: RESULTS_SCHEMA_VERSION,
        cluster: run.cluster,
        scenario: run.scenario,
        startedAt: start.toISOString(),
        durationMs: run.durationMs ?? Math.max(0, now().getTime() - start.getTime()),
        counts: countResults(redacted),
        hosts: run.hosts,
        results: redacted,
      };
      if (run.diagnosis) doc.diagnosis = redactDiagnosis(run.diagnosis);
      if (run.aborted !== undefined) doc.aborted = run.aborted;
      if (run.timings !== undefined) doc.timings = run.timings;
      return `${JSON.stringify(doc, null, 2)}\n`;
    },
    { now },
  );
}
