/**
 * The list view: the verdict, the problems (each with its detail block), then
 * the tree host → family → check with host pairs as matrices; and the window
 * of it that fits the terminal, following the selection.
 */
import { familyOf, subjectLabel } from '../../model.js';
import { redactResult } from '../../report/redact.js';
import { cleanText, evidenceWhere, oneLine, rootCauseVerdict } from '../../report/text.js';
import { textWidth, truncate } from '../../report/width.js';
import { plural } from '../../util/plural.js';
import { groupOf, type Item, treeOrder, visibleItems } from './items.js';
import {
  fitLine,
  formatMs,
  type LayoutOptions,
  type Line,
  type Seg,
  stateColor,
  symbolFor,
  worstState,
} from './lines.js';
import { matrixLines } from './matrix.js';
import { type HostProgress, isFailure, isMatrixRow, type Row, type TuiState, tally } from './model.js';

/** "No issues found!" or "Found N problems on M hosts", as the human reporter words it. */
export function verdict(state: TuiState): Seg {
  if (state.runError !== undefined)
    return { text: `✗ The run failed: ${oneLine(state.runError)}`, color: 'red' };
  const t = tally(state.rows);
  const problems = t.fail + t.error;
  const failed = state.rows.filter((r) => isFailure(r.state));
  const hosts = new Set(failed.map((r) => r.subject.host).filter((h): h is string => h !== undefined));
  const where: string[] = [];
  if (hosts.size > 0) where.push(`on ${plural(hosts.size, 'host')}`);
  if (failed.some((r) => r.subject.host === undefined)) where.push('cluster-wide');
  const extras: string[] = [];
  if (t.warn > 0) extras.push(plural(t.warn, 'warning'));
  if (t.skip > 0) extras.push(`${t.skip} skipped`);
  const tail = extras.length > 0 ? ` (${extras.join(', ')})` : '';
  const aborted = state.aborted ?? state.bailOut;
  const roots = state.diagnosis?.rootCauses ?? [];
  if (roots.length > 0 && aborted === undefined) {
    return { text: `✗ ${rootCauseVerdict(roots)}${tail}`, color: 'red' };
  }
  if (problems > 0) {
    const prefix = aborted !== undefined ? `Run aborted (${oneLine(aborted)}). ` : '';
    return {
      text: `✗ ${prefix}Found ${plural(problems, 'problem')} ${where.join(' and ')}${tail}`,
      color: 'red',
    };
  }
  if (aborted !== undefined) return { text: `✗ Run aborted: ${oneLine(aborted)}${tail}`, color: 'red' };
  if (t.warn > 0) return { text: `! No problems found${tail}`, color: 'yellow' };
  return { text: `✓ No issues found!${t.skip > 0 ? tail : ''}`, color: 'green' };
}

function hostHeading(host: string, p: HostProgress | undefined, o: LayoutOptions): Seg[] {
  if (!p || p.state === 'waiting')
    return [
      { text: host, bold: true },
      { text: '  waiting', color: 'gray' },
    ];
  if (p.state === 'gathering')
    return [
      { text: `${host}: gathering… `, bold: true },
      { text: symbolFor('running', o.spinnerFrame), color: 'cyan' },
    ];
  if (p.state === 'unreachable')
    return [
      { text: host, bold: true },
      { text: ` unreachable: ${oneLine(p.error ?? 'no answer')}`, color: 'red' },
    ];
  return [
    { text: host, bold: true },
    { text: `  gathered in ${formatMs(p.durationMs ?? 0)}`, color: 'gray' },
  ];
}

function rowLine(r: Row, o: LayoutOptions, indent: string, withLabel: boolean, withId: boolean): Seg[] {
  const sym = symbolFor(r.state, o.spinnerFrame);
  const label = subjectLabel(r.subject);
  const about = withLabel && label ? `${label}  ` : '';
  const skipWhy = r.state === 'skip' && r.result ? ` — ${oneLine(r.result.summary)}` : '';
  const running =
    r.state === 'running' && r.startedAt !== undefined ? ` ${formatMs(o.now - r.startedAt)}` : '';
  const id = withId ? `  [${r.id}]` : '';
  const room = Math.max(8, o.width - textWidth(indent) - 2 - textWidth(id) - textWidth(running));
  return [
    { text: indent },
    { text: sym, color: stateColor(r.state) },
    { text: ` ${truncate(`${about}${oneLine(r.title)}${skipWhy}`, room)}` },
    { text: running, color: 'cyan' },
    { text: id, color: 'gray' },
  ];
}

/** The detail block under a problem: summary, evidence (command, excerpt) and the fix commands. */
export function problemDetail(r: Row, o: LayoutOptions, maxExcerpt = 2): Line[] {
  if (!r.result) return [];
  const res = redactResult(r.result);
  const pad = '      ';
  const w = o.width;
  const lines: Line[] = [];
  const push = (segs: Seg[]) => lines.push({ segs: fitLine(segs, w) });
  push([{ text: pad + oneLine(r.state === 'error' ? `check error: ${res.summary}` : res.summary) }]);
  for (const ev of res.evidence) {
    if (ev.command !== undefined) {
      const where = evidenceWhere(ev);
      push([
        { text: pad },
        { text: `$ ${oneLine(ev.command)}${where ? `  (${where})` : ''}`, color: 'gray' },
      ]);
    }
    if (ev.excerpt) {
      const ex = cleanText(ev.excerpt).replace(/\n+$/, '').split('\n');
      for (const l of ex.slice(0, maxExcerpt))
        push([{ text: pad }, { text: `│ ${l.replace(/\t/g, '  ')}`, color: 'gray' }]);
      if (ex.length > maxExcerpt)
        push([
          { text: pad },
          { text: `│ … ${plural(ex.length - maxExcerpt, 'more line')} (Enter)`, color: 'gray' },
        ]);
    }
  }
  for (const f of res.hint?.fix ?? []) push([{ text: `${pad}fix: ` }, { text: oneLine(f), color: 'cyan' }]);
  return lines;
}

/**
 * The scrollable body: problems first when the run is done (each with its
 * detail block), then the tree host → family → check, with host pairs as matrices.
 */
export function bodyLines(state: TuiState, o: LayoutOptions): Line[] {
  const items = visibleItems(state);
  const itemKey = new Map<string, Item>(items.map((i) => [i.key, i]));
  const lines: Line[] = [];
  const blank = (): void => {
    lines.push({ segs: [{ text: '' }] });
  };

  if (state.phase === 'done' || state.failuresOnly) {
    const v = verdict(state);
    lines.push({ segs: fitLine([{ ...v, bold: true }], o.width) });
  }
  const problems = items.filter((i) => i.section === 'problems');
  if (problems.length > 0) {
    blank();
    for (const it of problems) {
      if (it.folded) {
        // A consequence unfolded under its root cause: one line, no fix of its own.
        lines.push({
          segs: fitLine(rowLine(it.row, o, '      ↳ ', true, true), o.width),
          item: it.key,
          head: true,
        });
        continue;
      }
      lines.push({ segs: fitLine(rowLine(it.row, o, '  ', true, true), o.width), item: it.key, head: true });
      for (const l of problemDetail(it.row, o)) lines.push({ ...l, item: it.key });
      if (it.explains !== undefined && it.explains > 0) {
        const open = state.expanded.includes(it.row.key);
        lines.push({
          segs: fitLine(
            [
              {
                text: `      explains ${plural(it.explains, 'other failure')} (e: ${open ? 'fold' : 'unfold'})`,
                color: 'gray',
              },
            ],
            o.width,
          ),
          item: it.key,
        });
      }
    }
  }
  if (state.failuresOnly) {
    if (problems.length === 0) lines.push({ segs: [{ text: '  no failed checks', color: 'gray' }] });
    return lines;
  }

  const tree = treeOrder(state);
  let lastGroup = '';
  let lastFamily = '';
  const pairsDrawn = new Set<string>();
  for (const r of tree) {
    const g = groupOf(r);
    const gkey = g.kind === 'host' ? `host:${g.host}` : g.kind;
    if (gkey !== lastGroup) {
      if (lines.length > 0) blank();
      if (g.kind === 'host')
        lines.push({ segs: fitLine(hostHeading(g.host, state.hostProgress[g.host], o), o.width) });
      else lines.push({ segs: [{ text: g.kind === 'cluster' ? 'Cluster' : 'Host pairs', bold: true }] });
      lastGroup = gkey;
      lastFamily = '';
    }
    if (isMatrixRow(r)) {
      if (!pairsDrawn.has(r.id)) {
        pairsDrawn.add(r.id);
        lines.push(
          ...matrixLines(
            state,
            r.id,
            state.rows.filter((x) => x.id === r.id && isMatrixRow(x)),
            o,
          ),
        );
        // Problem pairs stay selectable under their matrix (while running; when done they are listed first).
        for (const x of tree) {
          const it = itemKey.get(`t:${x.key}`);
          if (it && x.id === r.id && isMatrixRow(x)) {
            lines.push({
              segs: fitLine(rowLine(x, o, '    ', true, false), o.width),
              item: it.key,
              head: true,
            });
          }
        }
      }
      continue;
    }
    const fam = familyOf(r.id);
    if (g.kind !== 'cluster' && fam !== lastFamily) {
      const famRows = tree.filter((x) => familyOf(x.id) === fam && sameGroup(groupOf(x), g));
      const worst = worstState(famRows.map((x) => x.state));
      lines.push({
        segs: fitLine(
          [
            { text: '  ' },
            { text: symbolFor(worst, o.spinnerFrame), color: stateColor(worst) },
            { text: ` ${fam}`, bold: true },
            {
              text: `  ${famRows.filter((x) => x.state === 'pass').length}/${famRows.length}`,
              color: 'gray',
            },
          ],
          o.width,
        ),
      });
      lastFamily = fam;
    }
    const it = itemKey.get(`t:${r.key}`);
    if (!it) continue;
    const label = subjectLabel(r.subject);
    const showLabel = g.kind === 'host' ? label !== g.host : true;
    lines.push({
      segs: fitLine(rowLine(r, o, g.kind === 'cluster' ? '  ' : '    ', showLabel, false), o.width),
      item: it.key,
      head: true,
    });
  }
  return lines;
}

function sameGroup(a: ReturnType<typeof groupOf>, b: ReturnType<typeof groupOf>): boolean {
  if (a.kind !== b.kind) return false;
  return a.kind !== 'host' || (b.kind === 'host' && a.host === b.host);
}

/**
 * The window of `lines` to show in `height` rows: keep `prevOffset` when the
 * selected item is visible, otherwise scroll just enough to show it whole.
 */
export function scrollWindow(
  lines: Line[],
  selected: string | null,
  height: number,
  prevOffset: number,
): number {
  const max = Math.max(0, lines.length - height);
  let offset = Math.min(Math.max(0, prevOffset), max);
  if (selected === null) return offset;
  const first = lines.findIndex((l) => l.item === selected);
  if (first < 0) return offset;
  let last = first;
  while (last + 1 < lines.length && lines[last + 1]!.item === selected) last++;
  if (last >= offset + height) offset = last - height + 1;
  if (first < offset) offset = first;
  // The first item: show what precedes it too (the verdict).
  if (first === lines.findIndex((l) => l.item !== undefined) && first < height) offset = 0;
  return Math.min(Math.max(0, offset), max);
}
