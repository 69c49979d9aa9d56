/** JSON reporter: one `lxdcheck.results/v1` document, written when the run ends (see docs/json-schema.md). */
import { type CheckResult, type Counts, countResults, type RunEvent } from '../model.js';
import { redactResult } from './redact.js';
import type { Reporter, Sink } from './types.js';

export const RESULTS_SCHEMA_ID = 'lxdcheck.results/v1';

export interface ResultsDocument {
  schema: typeof RESULTS_SCHEMA_ID;
  cluster: string;
  scenario: string;
  /** ISO 8601 time of run-start. */
  startedAt: string;
  durationMs: number;
  counts: Counts;
  hosts: string[];
  results: CheckResult[];
  /** Why the run stopped early (bail-out or abort); absent when it completed. */
  aborted?: string;
}

export interface JsonReporterOptions {
  /** Clock for `startedAt` (tests). */
  now?: () => Date;
}

export function createJsonReporter(sink: Sink, opts: JsonReporterOptions = {}): Reporter {
  const now = opts.now ?? (() => new Date());
  let cluster = '';
  let scenario = '';
  let hosts: string[] = [];
  let startedAt: Date | null = null;
  let aborted: string | undefined;
  let durationMs: number | null = null;
  let results: CheckResult[] = [];
  let written = false;

  const write = () => {
    if (written) return;
    written = true;
    const start = startedAt ?? now();
    const redacted = results.map(redactResult);
    const doc: ResultsDocument = {
      schema: RESULTS_SCHEMA_ID,
      cluster,
      scenario,
      startedAt: start.toISOString(),
      durationMs: durationMs ?? Math.max(0, now().getTime() - start.getTime()),
      counts: countResults(redacted),
      hosts,
      results: redacted,
    };
    if (aborted !== undefined) doc.aborted = aborted;
    sink.write(`${JSON.stringify(doc, null, 2)}\n`);
  };

  return {
    onEvent(e: RunEvent) {
      switch (e.type) {
        case 'run-start':
          startedAt = now();
          cluster = e.cluster;
          scenario = e.scenario;
          hosts = [...e.hosts];
          break;
        case 'result':
          results.push(e.result);
          break;
        case 'bail-out':
          aborted ??= e.reason;
          break;
        case 'run-end':
          // The engine's final list is authoritative when it is complete.
          if (e.results.length >= results.length) results = [...e.results];
          durationMs = e.durationMs;
          if (e.aborted !== undefined) aborted = e.aborted;
          write();
          break;
        default:
          break;
      }
    },
    async finish() {
      if (!written) {
        aborted ??= 'run did not finish';
        write();
      }
      await sink.end();
    },
  };
}
