/**
 * What the list shows and in which order, derived from the state alone: the
 * tree (cluster, hosts, host pairs; families grouped), the problems listed
 * first when a run is done (root causes with what they explain), and the
 * selectable items the keys move through.
 */
import type { CheckResult, Diagnosis, RootCause } from '../../model.js';
import { familyOf } from '../../model.js';
import { isFailure, isMatrixRow, isProblem, type Row, type TuiState } from './model.js';

/** Grouping of a row in the tree: cluster-wide, a host, or the host-pair section. */
export type GroupKey = { kind: 'cluster' } | { kind: 'host'; host: string } | { kind: 'pairs' };

export function groupOf(r: Row): GroupKey {
  if (r.subject.peer !== undefined && r.subject.container === undefined) return { kind: 'pairs' };
  if (r.subject.host === undefined) return { kind: 'cluster' };
  return { kind: 'host', host: r.subject.host };
}

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

/** The selected row, if any. */
export function selectedRow(state: TuiState): Row | undefined {
  if (state.selected === null) return undefined;
  return visibleItems(state).find((i) => i.key === state.selected)?.row;
}
