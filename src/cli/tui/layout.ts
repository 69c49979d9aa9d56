/**
 * Pure layout: the state → lines of styled segments. Components only draw
 * these lines, so what a person sees is decided (and tested) here. Every line
 * fits `width` columns; colour is a hint the component drops when NO_COLOR.
 */
import { subjectLabel } from '../../model.js';
import { redactResult } from '../../report/redact.js';
import { cleanText, evidenceWhere, oneLine, plural, rootCauseVerdict } from '../../report/text.js';
import {
  familyOf,
  groupOf,
  type HostProgress,
  type Item,
  isFailure,
  isMatrixRow,
  type Row,
  type RowState,
  type TuiState,
  tally,
  treeOrder,
  visibleItems,
} from './state.js';

export type Color = 'green' | 'red' | 'yellow' | 'gray' | 'cyan';

export interface Seg {
  text: string;
  color?: Color;
  bold?: boolean;
}

export interface Line {
  segs: Seg[];
  /** The item this line belongs to (for selection and scrolling). */
  item?: string;
  /** First line of its item: where the selection marker goes. */
  head?: boolean;
}

export const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export const SYMBOL: Record<Exclude<RowState, 'running'>, string> = {
  waiting: '·',
  pass: '✓',
  fail: '✗',
  error: '✗',
  warn: '!',
  skip: '-',
};

export function stateColor(s: RowState): Color | undefined {
  switch (s) {
    case 'pass':
      return 'green';
    case 'fail':
    case 'error':
      return 'red';
    case 'warn':
      return 'yellow';
    case 'skip':
    case 'waiting':
      return 'gray';
    default:
      return 'cyan';
  }
}

export function symbolFor(s: RowState, spinnerFrame: number): string {
  return s === 'running' ? (SPINNER[spinnerFrame % SPINNER.length] ?? '*') : SYMBOL[s];
}

/** Code points, which is what a terminal shows for the text we draw. */
export function textWidth(s: string): number {
  return Array.from(s).length;
}

export function truncate(s: string, width: number): string {
  const chars = Array.from(s);
  if (chars.length <= width) return s;
  if (width <= 0) return '';
  return `${chars.slice(0, width - 1).join('')}…`;
}

/** Cut a line of segments to `width` columns (the last visible segment gets the ellipsis). */
export function fitLine(segs: Seg[], width: number): Seg[] {
  const out: Seg[] = [];
  let used = 0;
  const total = segs.reduce((n, s) => n + textWidth(s.text), 0);
  if (total <= width) return segs;
  for (const s of segs) {
    const w = textWidth(s.text);
    if (used + w < width) {
      out.push(s);
      used += w;
      continue;
    }
    out.push({ ...s, text: truncate(s.text, width - used) });
    break;
  }
  return out;
}

export function lineText(l: Line): string {
  return l.segs.map((s) => s.text).join('');
}

export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const m = Math.floor(ms / 60_000);
  return `${m}m${String(Math.floor((ms % 60_000) / 1000)).padStart(2, '0')}s`;
}

export interface LayoutOptions {
  width: number;
  spinnerFrame: number;
  /** Current time on the clock the actions were stamped with. */
  now: number;
}

/** Header: title, then counts so far (and elapsed time). Always two lines. */
export function headerLines(state: TuiState, o: LayoutOptions): Line[] {
  const t = tally(state.rows);
  const elapsed =
    state.startedAt === undefined
      ? ''
      : formatMs((state.phase === 'running' ? o.now : (state.endedAt ?? o.now)) - state.startedAt);
  const title = `lxdcheck doctor · ${state.cluster || '…'} · ${state.scenario || '…'} · ${plural(state.hosts.length, 'host')}`;
  const rerun = state.only ? ` · re-run ${state.only.length} failed` : '';
  const status =
    state.phase === 'running'
      ? `${symbolFor('running', o.spinnerFrame)} ${elapsed}`
      : state.phase === 'done'
        ? `done ${elapsed}`
        : '';
  const room = Math.max(10, o.width - textWidth(status) - 1);
  const left = truncate(title + rerun, room);
  const pad = ' '.repeat(Math.max(1, o.width - textWidth(left) - textWidth(status)));
  const counts: Seg[] = [
    { text: `✓ ${t.pass}`, color: 'green' },
    { text: '  ' },
    { text: `✗ ${t.fail + t.error}`, color: t.fail + t.error > 0 ? 'red' : 'gray' },
    { text: '  ' },
    { text: `! ${t.warn}`, color: t.warn > 0 ? 'yellow' : 'gray' },
    { text: '  ' },
    { text: `- ${t.skip}`, color: 'gray' },
  ];
  if (t.running + t.waiting > 0) counts.push({ text: `   ${t.running + t.waiting} to go`, color: 'gray' });
  if (state.failuresOnly) counts.push({ text: '   [failures only]', color: 'yellow' });
  return [
    { segs: fitLine([{ text: left, bold: true }, { text: pad }, { text: status, color: 'cyan' }], o.width) },
    { segs: fitLine(counts, o.width) },
  ];
}

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

/** Loss, RTT or the largest passing MTU for a matrix cell, from the result's metrics. */
export function cellMetric(r: Row): string {
  const m = r.result?.metrics;
  if (!m) return '';
  if (r.id === 'mesh.pmtu') {
    const largest = m['largestMtu'];
    return typeof largest === 'number' && m['mtu'] !== 1500 ? String(largest) : '';
  }
  const loss = m['lossPercent'];
  if (typeof loss === 'number' && loss > 0) return `${loss}%`;
  const rtt = m['rttAvgMs'];
  if (typeof rtt === 'number') return `${rtt.toFixed(rtt < 10 ? 1 : 0)}ms`;
  return '';
}

/** Hosts × hosts, one matrix per check id; degrades to symbols, then to a one-line count. */
export function matrixLines(state: TuiState, id: string, rows: Row[], o: LayoutOptions): Line[] {
  const hosts = [...state.hosts];
  for (const r of rows) {
    for (const h of [r.subject.host, r.subject.peer])
      if (h !== undefined && !hosts.includes(h)) hosts.push(h);
  }
  const cell = (a: string, b: string): Seg => {
    if (a === b) return { text: '·', color: 'gray' };
    const r = rows.find((x) => x.subject.host === a && x.subject.peer === b);
    if (!r) return { text: ' ' };
    const metric = cellMetric(r);
    return {
      text: `${symbolFor(r.state, o.spinnerFrame)}${metric ? ` ${metric}` : ''}`,
      color: stateColor(r.state),
    };
  };
  const cells = hosts.map((a) => hosts.map((b) => cell(a, b)));
  const widest = Math.max(1, ...cells.flat().map((c) => textWidth(c.text)));
  const nameW = Math.min(10, Math.max(4, ...hosts.map(textWidth)));
  const indent = '    ';
  const fits = (cw: number) => textWidth(indent) + nameW + 1 + hosts.length * (cw + 1) <= o.width;
  let cw = Math.max(widest, Math.min(nameW, 8));
  let symbolsOnly = false;
  if (!fits(cw)) {
    cw = Math.max(widest, 3);
    if (!fits(cw)) {
      symbolsOnly = true;
      cw = 1;
    }
  }
  const t = tally(rows);
  const headline: Line = {
    segs: fitLine(
      [
        { text: '  ' },
        { text: id, bold: true },
        {
          text: `  ${t.pass}/${rows.length} pass${t.running + t.waiting > 0 ? `, ${t.running + t.waiting} to go` : ''}`,
          color: 'gray',
        },
      ],
      o.width,
    ),
  };
  if (!fits(cw)) return [headline];
  const pad = (s: string, w: number) => {
    const cut = truncate(s, w);
    return cut + ' '.repeat(Math.max(0, w - textWidth(cut)));
  };
  const lines: Line[] = [headline];
  lines.push({
    segs: [
      { text: `${indent}${pad('', nameW)} ` },
      ...hosts.map((h) => ({ text: `${pad(h, cw)} `, color: 'gray' as const })),
    ],
  });
  hosts.forEach((a, i) => {
    const segs: Seg[] = [{ text: `${indent}${pad(a, nameW)} ` }];
    for (const c of cells[i]!) {
      const text = symbolsOnly ? (Array.from(c.text)[0] ?? ' ') : c.text;
      segs.push({ ...c, text: `${pad(text, cw)} ` });
    }
    lines.push({ segs: fitLine(segs, o.width) });
  });
  return lines;
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

const SEVERITY: RowState[] = ['error', 'fail', 'warn', 'running', 'waiting', 'skip', 'pass'];
export function worstState(states: RowState[]): RowState {
  for (const s of SEVERITY) if (states.includes(s)) return s;
  return 'pass';
}

/** Full details of one check: what was expected, what was found, the evidence and the hint. */
export function detailLines(r: Row, o: LayoutOptions): Line[] {
  const w = o.width;
  const lines: Line[] = [];
  const push = (segs: Seg[]) => lines.push({ segs: fitLine(segs, w) });
  const wrapPush = (prefix: string, text: string, color?: Color) => {
    const inner = Math.max(10, w - textWidth(prefix));
    const words = oneLine(text).split(' ');
    let cur = '';
    let first = true;
    const flush = () => {
      push([
        { text: first ? prefix : ' '.repeat(textWidth(prefix)) },
        { text: cur, ...(color ? { color } : {}) },
      ]);
      first = false;
      cur = '';
    };
    for (const word of words) {
      if (cur && textWidth(cur) + 1 + textWidth(word) > inner) flush();
      cur = cur ? `${cur} ${word}` : word;
    }
    if (cur || first) flush();
  };
  const res = r.result ? redactResult(r.result) : undefined;
  push([
    { text: symbolFor(r.state, o.spinnerFrame), color: stateColor(r.state) },
    { text: ` ${oneLine(r.title)}`, bold: true },
  ]);
  const label = subjectLabel(r.subject);
  push([
    {
      text: `  ${r.id}${label ? `  ·  ${label}` : ''}  ·  ${r.state}${res ? `  ·  ${formatMs(res.durationMs)}` : ''}`,
      color: 'gray',
    },
  ]);
  lines.push({ segs: [{ text: '' }] });
  if (!res) {
    push([{ text: r.state === 'running' ? '  running…' : '  waiting for its turn…', color: 'gray' }]);
    return lines;
  }
  wrapPush('  ', res.status === 'error' ? `check error: ${res.summary}` : res.summary);
  if (res.expected !== undefined) wrapPush('  expected: ', res.expected);
  if (res.actual !== undefined) wrapPush('  actual:   ', res.actual);
  if (res.evidence.length > 0) {
    lines.push({ segs: [{ text: '' }] });
    push([{ text: 'Evidence', bold: true }]);
  }
  for (const ev of res.evidence) {
    if (ev.command !== undefined) {
      const where = evidenceWhere(ev);
      push([
        { text: '  ' },
        { text: `$ ${oneLine(ev.command)}`, color: 'cyan' },
        { text: where ? `  (${where})` : '', color: 'gray' },
      ]);
    }
    if (ev.excerpt) {
      for (const l of cleanText(ev.excerpt).replace(/\n+$/, '').split('\n')) {
        push([{ text: '  ' }, { text: `│ ${l.replace(/\t/g, '  ')}`, color: 'gray' }]);
      }
    }
    if (ev.note) wrapPush('  note: ', ev.note);
  }
  if (res.hint?.why || (res.hint?.fix?.length ?? 0) > 0) {
    lines.push({ segs: [{ text: '' }] });
    push([{ text: 'How to fix', bold: true }]);
    if (res.hint?.why) wrapPush('  why: ', res.hint.why);
    for (const f of res.hint?.fix ?? []) push([{ text: '  fix: ' }, { text: oneLine(f), color: 'cyan' }]);
  }
  return lines;
}

export const HELP_LINES: [string, string][] = [
  ['↑ ↓  j k', 'move the selection'],
  ['PgUp PgDn  g G', 'page up / down, first / last'],
  ['Enter', 'open the selected check (Esc or Enter: back)'],
  ['r', 're-run the failed checks only (and what they need)'],
  ['f', 'show failures only / everything'],
  ['e', 'on a root cause: unfold / fold the failures it explains'],
  ['?', 'this help'],
  ['q  Ctrl-C', 'quit (stops a running run first)'],
];

export function helpLines(o: LayoutOptions): Line[] {
  const lines: Line[] = [{ segs: [{ text: 'Keys', bold: true }] }, { segs: [{ text: '' }] }];
  for (const [k, what] of HELP_LINES) {
    lines.push({ segs: fitLine([{ text: `  ${k.padEnd(16)}`, color: 'cyan' }, { text: what }], o.width) });
  }
  lines.push({ segs: [{ text: '' }] });
  lines.push({
    segs: fitLine(
      [{ text: 'Symbols: ✓ pass  ✗ fail  ! warning  - skipped  · waiting', color: 'gray' }],
      o.width,
    ),
  });
  lines.push({ segs: fitLine([{ text: 'Press any key to go back.', color: 'gray' }], o.width) });
  return lines;
}

export function footerLine(state: TuiState, o: LayoutOptions): Line {
  if (state.message) return { segs: fitLine([{ text: state.message, color: 'yellow' }], o.width) };
  const keys =
    state.view === 'details'
      ? 'Esc/Enter back · j/k scroll · q quit'
      : state.view === 'help'
        ? 'any key: back'
        : `↑↓/jk move · ⏎ details · r re-run failed · f ${state.failuresOnly ? 'all' : 'failures'} · ? help · q quit`;
  return { segs: fitLine([{ text: keys, color: 'gray' }], o.width) };
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
