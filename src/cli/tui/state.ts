/**
 * The TUI's pure reducer. Engine events (RunEvent, stamped with the time they
 * arrived) and key actions go through `tuiReducer`; what is on screen derives
 * from the state alone (items.ts orders it, list.ts and detail.ts draw it), so
 * both are tested without a terminal.
 */
import type { PlannedCheck, RunEvent, Subject } from '../../model.js';
import { visibleItems } from './items.js';
import { type HostProgress, isFinal, type Row, type TuiAction, type TuiState } from './model.js';

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
