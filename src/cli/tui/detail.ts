/** The detail view of one check (Enter): what was expected, what was found, the evidence and the hint. */
import { subjectLabel } from '../../model.js';
import { redactResult } from '../../report/redact.js';
import { cleanText, evidenceWhere, oneLine } from '../../report/text.js';
import { textWidth, wrapWords } from '../../report/width.js';
import {
  type Color,
  fitLine,
  formatMs,
  type LayoutOptions,
  type Line,
  type Seg,
  stateColor,
  symbolFor,
} from './lines.js';
import type { Row } from './model.js';

/** Full details of one check: what was expected, what was found, the evidence and the hint. */
export function detailLines(r: Row, o: LayoutOptions): Line[] {
  const w = o.width;
  const lines: Line[] = [];
  const push = (segs: Seg[]) => lines.push({ segs: fitLine(segs, w) });
  // Long words are cut into full lines rather than cut off: the details view is where all of it shows.
  const wrapPush = (prefix: string, text: string, color?: Color) => {
    const rows = wrapWords(oneLine(text), Math.max(10, w - textWidth(prefix)));
    if (rows.length === 0) rows.push('');
    rows.forEach((row, i) => {
      push([
        { text: i === 0 ? prefix : ' '.repeat(textWidth(prefix)) },
        { text: row, ...(color ? { color } : {}) },
      ]);
    });
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
