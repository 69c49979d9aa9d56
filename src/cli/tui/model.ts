/**
 * The TUI's state: what the reducer (state.ts) keeps, the actions it takes,
 * and the small judgements every view makes of a row (failed? final? drawn in
 * the matrix?) and of a set of rows (the tally).
 */
import type { CheckResult, Diagnosis, RunEvent, Status, Subject } from '../../model.js';

export type RowState = 'waiting' | 'running' | Status;

export interface Row {
  key: string;
  id: string;
  title: string;
  subject: Subject;
  state: RowState;
  result?: CheckResult;
  /** When check-start arrived (ms, caller's clock). */
  startedAt?: number;
}

export interface HostProgress {
  state: 'waiting' | 'gathering' | 'ok' | 'unreachable';
  error?: string;
  durationMs?: number;
}

export type View = 'list' | 'details' | 'help';

export interface TuiState {
  cluster: string;
  scenario: string;
  hosts: string[];
  /** Every check instance seen, in display order (planned first, later ones appended). */
  rows: Row[];
  hostProgress: Record<string, HostProgress>;
  phase: 'idle' | 'running' | 'done';
  /** How many runs were started (1 = the first run; more after `r`). */
  runs: number;
  /** The ids the current (or last) run was restricted to; undefined = everything. */
  only?: string[];
  startedAt?: number;
  endedAt?: number;
  durationMs?: number;
  aborted?: string;
  bailOut?: string;
  /** The runner itself failed (lock held, bundle unreadable, ...). */
  runError?: string;
  exitCode?: number;
  view: View;
  failuresOnly: boolean;
  /** Key of the selected item (see visibleItems). */
  selected: string | null;
  /** A one-line note for the footer, e.g. "nothing to re-run". */
  message?: string;
  /** The last run's root causes (run-end). */
  diagnosis?: Diagnosis;
  /** Root-cause keys whose consequences are unfolded (`e`). */
  expanded: string[];
}

export type TuiAction =
  | { type: 'event'; event: RunEvent; at: number }
  | { type: 'run-begin'; only?: string[]; at: number }
  | { type: 'run-done'; code: number; at: number }
  | { type: 'run-error'; message: string; at: number }
  | { type: 'move'; delta: number }
  | { type: 'move-to'; where: 'first' | 'last' }
  | { type: 'open' }
  | { type: 'back' }
  | { type: 'toggle-failures' }
  | { type: 'toggle-expand' }
  | { type: 'help' }
  | { type: 'message'; text: string | undefined };

export function initialState(): TuiState {
  return {
    cluster: '',
    scenario: '',
    hosts: [],
    rows: [],
    hostProgress: {},
    phase: 'idle',
    runs: 0,
    view: 'list',
    failuresOnly: false,
    selected: null,
    expanded: [],
  };
}

export const isFailure = (s: RowState): boolean => s === 'fail' || s === 'error';
export const isProblem = (s: RowState): boolean => isFailure(s) || s === 'warn';
export const isFinal = (s: RowState): boolean => s !== 'waiting' && s !== 'running';
/** Host-pair checks are drawn as a hosts × hosts matrix. */
export const isMatrixRow = (r: Row): boolean => r.id.startsWith('mesh.') && r.subject.peer !== undefined;

/** The check ids to re-run: every id with a failed or errored instance, in display order. */
export function failedCheckIds(state: TuiState): string[] {
  const ids: string[] = [];
  for (const r of state.rows) if (isFailure(r.state) && !ids.includes(r.id)) ids.push(r.id);
  return ids;
}

export interface Tally {
  pass: number;
  fail: number;
  warn: number;
  skip: number;
  error: number;
  running: number;
  waiting: number;
  total: number;
}

export function tally(rows: readonly Row[]): Tally {
  const t: Tally = { pass: 0, fail: 0, warn: 0, skip: 0, error: 0, running: 0, waiting: 0, total: 0 };
  for (const r of rows) {
    t[r.state]++;
    t.total++;
  }
  return t;
}
