/** Around the list: the header (title, counts, elapsed time), the footer (keys or a message) and the help screen. */

import { padEnd, textWidth, truncate } from '../../report/width.js';
import { plural } from '../../util/plural.js';
import { fitLine, formatMs, type LayoutOptions, type Line, type Seg, symbolFor } from './lines.js';
import { type TuiState, tally } from './model.js';

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
    lines.push({ segs: fitLine([{ text: `  ${padEnd(k, 16)}`, color: 'cyan' }, { text: what }], o.width) });
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
