/**
 * How the TUI starts runs. The App only knows the `Runner` shape, so tests
 * drive it with synthetic events; `engineRunner` wires the real engine.
 */
import { selectChecks } from '../../engine/plan.js';
import type { RunEvent } from '../../model.js';
import { executeRun, type PreparedRun } from '../run.js';

export interface RunRequest {
  /** Restrict the run to these check ids (prerequisites are pulled in); undefined = the whole plan. */
  only?: string[];
  /** Every engine event, in order. */
  onEvent: (e: RunEvent) => void;
  /** Aborted when the user quits mid-run; the run then ends with code 130. */
  signal: AbortSignal;
}

/** Starts one run; resolves with its exit code (0, 1, or 130 when interrupted). */
export type Runner = (req: RunRequest) => Promise<number>;

/** The prepared run restricted to `only` (plus what those checks need). */
export function restrictRun(prepared: PreparedRun, only: readonly string[]): PreparedRun {
  const checks = selectChecks(prepared.checks, only, []);
  // A re-run is a partial look: it must not overwrite a recording of the full run.
  const { recordDir: _recordDir, ...rest } = prepared;
  return { ...rest, checks, spec: { ...prepared.spec, checks } };
}

export function engineRunner(prepared: PreparedRun): Runner {
  return async ({ only, onEvent, signal }) => {
    const run = only ? restrictRun(prepared, only) : prepared;
    const { code } = await executeRun(run, [], onEvent, signal);
    return code;
  };
}
