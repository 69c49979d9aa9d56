/**
 * The TUI's drawing primitives: a screen line is a list of styled segments
 * that fits the terminal's width (in columns, measured by report/width.ts);
 * the symbols and colours of a row's state; durations. Components only draw
 * these lines, so what a person sees is decided (and tested) in the modules
 * that build them (chrome, list, matrix, detail). Colour is a hint the
 * component drops when NO_COLOR.
 */
import { textWidth, truncate } from '../../report/width.js';
import type { RowState } from './model.js';

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

const SEVERITY: RowState[] = ['error', 'fail', 'warn', 'running', 'waiting', 'skip', 'pass'];
export function worstState(states: RowState[]): RowState {
  for (const s of SEVERITY) if (states.includes(s)) return s;
  return 'pass';
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
