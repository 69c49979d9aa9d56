/** Host-pair checks (mesh.*) drawn as a hosts × hosts matrix, one per check id. */
import { padEnd, textWidth, truncate } from '../../report/width.js';
import { fitLine, type LayoutOptions, type Line, type Seg, stateColor, symbolFor } from './lines.js';
import { type Row, type TuiState, tally } from './model.js';

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
  const pad = (s: string, w: number) => padEnd(truncate(s, w), w);
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
