/**
 * The TUI's state and its pure reducer. Engine events (RunEvent, stamped with
 * the time they arrived) and key actions go through `tuiReducer`; what is on
 * screen derives from the state alone (see layout.ts), so both are tested
 * without a terminal.
 */

import type {
  CheckResult,
  Diagnosis,
  PlannedCheck,
  RootCause,
  RunEvent,
  Status,
  Subject,
} from '../../model.js';
import { familyOf } from '../../model.js';

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

/** Grouping of a row in the tree: cluster-wide, a host, or the host-pair section. */
export type GroupKey = { kind: 'cluster' } | { kind: 'host'; host: string } | { kind: 'pairs' };

export function groupOf(r: Row): GroupKey {
  if (r.subject.peer !== undefined && r.subject.container === undefined) return { kind: 'pairs' };
  if (r.subject.host === undefined) return { kind: 'cluster' };
  return { kind: 'host', host: r.subject.host };
}

// Re-exported: layout.ts takes it from here with the rest of the TUI's vocabulary.
export { familyOf };

/**
 * What can be selected, in screen order. Item keys are prefixed so a failure
 * listed under "Problems" and the same check in the tree are distinct items.
 *  - while running: the tree (`t:`), matrix checks excluded unless they are problems;
 *  - when done: problems first (`p:`, failures then warnings), then the rest of the tree;
 *  - failures only: failed and errored checks only.
 */
export interface Item {
  key: string;
  row: Row;
  section: 'problems' | 'tree';
  /** A root cause: how many failures it explains (shown folded under it). */
  explains?: number;
  /** A consequence listed under its root cause (unfolded). */
  folded?: boolean;
}

/** The row of a root cause: its result's row, or one made for a root inferred from a pattern. */
function rootRow(state: TuiState, c: RootCause): Row {
  const found = state.rows.find((r) => r.key === c.key);
  if (found) return found;
  const result: CheckResult = {
    id: c.check,
    title: `${c.host ?? 'cluster'}: ${c.check} fails around ${c.host ?? 'every host'}`,
    subject: c.subject,
    status: c.status,
    summary: c.summary,
    evidence: [],
    hint: { fix: c.fix },
    durationMs: 0,
    root: true,
  };
  return { key: c.key, id: c.check, title: result.title, subject: c.subject, state: c.status, result };
}

/** Problems when the run carries a diagnosis: root causes, their unfolded consequences, then unexplained warnings. */
function diagnosedProblems(state: TuiState, d: Diagnosis): Item[] {
  const items: Item[] = [];
  for (const c of d.rootCauses) {
    const row = rootRow(state, c);
    items.push({ key: `p:${row.key}`, row, section: 'problems', explains: c.explains.length });
    if (!state.expanded.includes(c.key)) continue;
    for (const k of c.explains) {
      const r = state.rows.find((x) => x.key === k);
      if (r) items.push({ key: `c:${r.key}`, row: r, section: 'problems', folded: true });
    }
  }
  for (const r of state.rows)
    if (r.state === 'warn' && !r.result?.causedBy)
      items.push({ key: `p:${r.key}`, row: r, section: 'problems' });
  return items;
}

export function visibleItems(state: TuiState): Item[] {
  const items: Item[] = [];
  if (state.failuresOnly) {
    for (const r of state.rows)
      if (isFailure(r.state)) items.push({ key: `p:${r.key}`, row: r, section: 'problems' });
    return items;
  }
  const done = state.phase === 'done';
  if (done && state.diagnosis) items.push(...diagnosedProblems(state, state.diagnosis));
  const problems =
    done && !state.diagnosis
      ? [...state.rows.filter((r) => isFailure(r.state)), ...state.rows.filter((r) => r.state === 'warn')]
      : [];
  for (const r of problems) items.push({ key: `p:${r.key}`, row: r, section: 'problems' });
  const shownAsProblem = new Set(items.map((i) => i.row.key));
  for (const r of treeOrder(state)) {
    if (shownAsProblem.has(r.key)) continue;
    if (isMatrixRow(r) && !isProblem(r.state)) continue;
    items.push({ key: `t:${r.key}`, row: r, section: 'tree' });
  }
  return items;
}

/** Rows in tree order: cluster, hosts (inventory order, then unknown hosts), host pairs; families grouped per host. */
export function treeOrder(state: TuiState): Row[] {
  const groups = new Map<string, Row[]>();
  const gk = (g: GroupKey) => (g.kind === 'host' ? `host:${g.host}` : g.kind);
  groups.set('cluster', []);
  for (const h of state.hosts) groups.set(`host:${h}`, []);
  for (const r of state.rows) {
    const k = gk(groupOf(r));
    if (k === 'pairs') continue;
    let list = groups.get(k);
    if (!list) {
      list = [];
      groups.set(k, list);
    }
    list.push(r);
  }
  groups.set(
    'pairs',
    state.rows.filter((r) => groupOf(r).kind === 'pairs'),
  );
  const out: Row[] = [];
  for (const [, list] of groups) {
    // Families in order of first appearance, so a host reads bridge → overlay → routes ….
    const fams: string[] = [];
    for (const r of list) if (!fams.includes(familyOf(r.id))) fams.push(familyOf(r.id));
    for (const f of fams) for (const r of list) if (familyOf(r.id) === f) out.push(r);
  }
  return out;
}

function fromPlanned(p: PlannedCheck): Row {
  return { key: p.key, id: p.id, title: p.title, subject: p.subject, state: 'waiting' };
}

function upsert(rows: Row[], key: string, make: () => Row, patch: (r: Row) => Row): Row[] {
  const i = rows.findIndex((r) => r.key === key);
  if (i < 0) return [...rows, patch(make())];
  const next = rows.slice();
  next[i] = patch(rows[i]!);
  return next;
}

function reselect(state: TuiState): TuiState {
  const items = visibleItems(state);
  if (items.length === 0) return state.selected === null ? state : { ...state, selected: null };
  if (state.selected !== null && items.some((i) => i.key === state.selected)) return state;
  // The same check may have moved between sections (tree → problems when the run ends).
  if (state.selected !== null) {
    const rowKey = state.selected.slice(2);
    const same = items.find((i) => i.row.key === rowKey);
    if (same) return { ...state, selected: same.key };
  }
  return { ...state, selected: items[0]!.key };
}

function onEvent(state: TuiState, e: RunEvent, at: number): TuiState {
  switch (e.type) {
    case 'run-start': {
      const rerun = state.runs > 1 || state.rows.length > 0;
      let rows = rerun ? state.rows : [];
      for (const p of e.planned) {
        rows = upsert(
          rows,
          p.key,
          () => fromPlanned(p),
          (r) => ({ ...r, title: p.title, state: 'waiting', startedAt: undefined, result: undefined }),
        );
      }
      const hostProgress: Record<string, HostProgress> = { ...state.hostProgress };
      for (const h of e.hosts) hostProgress[h] = { state: 'waiting' };
      return {
        ...state,
        cluster: e.cluster,
        scenario: e.scenario,
        hosts: [...e.hosts],
        rows,
        hostProgress,
        phase: 'running',
        startedAt: state.startedAt ?? at,
      };
    }
    case 'host-gather-start':
      return { ...state, hostProgress: { ...state.hostProgress, [e.host]: { state: 'gathering' } } };
    case 'host-gather-end':
      return {
        ...state,
        hostProgress: {
          ...state.hostProgress,
          [e.host]: {
            state: e.ok ? 'ok' : 'unreachable',
            durationMs: e.durationMs,
            ...(e.error !== undefined ? { error: e.error } : {}),
          },
        },
      };
    case 'check-start':
      return {
        ...state,
        rows: upsert(
          state.rows,
          e.key,
          () => ({ key: e.key, id: e.id, title: e.id, subject: e.subject, state: 'waiting' }),
          (r) => ({ ...r, state: 'running', startedAt: at }),
        ),
      };
    case 'result':
      return {
        ...state,
        rows: upsert(
          state.rows,
          e.key,
          () => ({
            key: e.key,
            id: e.result.id,
            title: e.result.title,
            subject: e.result.subject,
            state: 'waiting',
          }),
          (r) => ({ ...r, title: e.result.title, state: e.result.status, result: e.result }),
        ),
      };
    case 'bail-out':
      return { ...state, bailOut: e.reason };
    case 'run-end': {
      // run-end carries the final word on every instance of this run (container ones included).
      let rows = state.rows;
      for (const r of e.results) {
        const key = rows.find((x) => x.id === r.id && sameSubject(x.subject, r.subject))?.key;
        if (key === undefined) {
          rows = [
            ...rows,
            {
              key: `${r.id} ${JSON.stringify(r.subject)}`,
              id: r.id,
              title: r.title,
              subject: r.subject,
              state: r.status,
              result: r,
            },
          ];
        } else {
          // The final word: run-end's results carry the diagnosis (root, causedBy).
          rows = upsert(
            rows,
            key,
            () => ({ ...fromPlanned({ key, id: r.id, title: r.title, subject: r.subject }) }),
            (x) => ({ ...x, state: r.status, result: r }),
          );
        }
      }
      // Anything still waiting or running did not get a result: the run stopped early.
      rows = rows.map((r) => (isFinal(r.state) ? r : { ...r, state: 'skip' as const }));
      const { diagnosis: _old, ...rest } = state;
      return {
        ...rest,
        rows,
        durationMs: e.durationMs,
        ...(e.aborted !== undefined ? { aborted: e.aborted } : {}),
        ...(e.diagnosis ? { diagnosis: e.diagnosis } : {}),
      };
    }
    default:
      return state;
  }
}

function sameSubject(a: Subject, b: Subject): boolean {
  return (
    a.host === b.host &&
    a.peer === b.peer &&
    a.container === b.container &&
    a.peerContainer === b.peerContainer
  );
}

export function tuiReducer(state: TuiState, action: TuiAction): TuiState {
  switch (action.type) {
    case 'event':
      return reselect(onEvent(state, action.event, action.at));
    case 'run-begin': {
      const {
        aborted: _a,
        bailOut: _b,
        runError: _c,
        exitCode: _d,
        endedAt: _e,
        durationMs: _f,
        message: _g,
        only: _h,
        ...rest
      } = state;
      return {
        ...rest,
        phase: 'running',
        runs: state.runs + 1,
        startedAt: action.at,
        view: state.view === 'details' ? 'list' : state.view,
        ...(action.only ? { only: [...action.only] } : {}),
      };
    }
    case 'run-done': {
      // The verdict and the failures come first: start the reading there.
      const done: TuiState = { ...state, phase: 'done', exitCode: action.code, endedAt: action.at };
      return { ...done, selected: visibleItems(done)[0]?.key ?? null };
    }
    case 'run-error':
      return reselect({ ...state, phase: 'done', runError: action.message, exitCode: 2, endedAt: action.at });
    case 'move': {
      const items = visibleItems(state);
      if (items.length === 0) return state;
      const i = Math.max(
        0,
        items.findIndex((x) => x.key === state.selected),
      );
      const j = Math.min(items.length - 1, Math.max(0, i + action.delta));
      return { ...state, selected: items[j]!.key, message: undefined };
    }
    case 'move-to': {
      const items = visibleItems(state);
      if (items.length === 0) return state;
      return { ...state, selected: (action.where === 'first' ? items[0] : items[items.length - 1])!.key };
    }
    case 'open':
      if (state.view !== 'list' || state.selected === null) return state;
      return { ...state, view: 'details', message: undefined };
    case 'back':
      return state.view === 'list' ? state : { ...state, view: 'list' };
    case 'toggle-failures':
      return reselect({ ...state, failuresOnly: !state.failuresOnly, view: 'list', message: undefined });
    case 'help':
      return { ...state, view: state.view === 'help' ? 'list' : 'help' };
    case 'toggle-expand': {
      // On a root cause, fold or unfold the failures it explains.
      const item = visibleItems(state).find((i) => i.key === state.selected);
      if (!item || item.explains === undefined || item.explains === 0) return state;
      const k = item.row.key;
      const expanded = state.expanded.includes(k)
        ? state.expanded.filter((x) => x !== k)
        : [...state.expanded, k];
      return { ...state, expanded };
    }
    case 'message':
      return action.text === undefined
        ? { ...state, message: undefined }
        : { ...state, message: action.text };
    default:
      return state;
  }
}

/** The selected row, if any. */
export function selectedRow(state: TuiState): Row | undefined {
  if (state.selected === null) return undefined;
  return visibleItems(state).find((i) => i.key === state.selected)?.row;
}
