/**
 * Human reporter, flutter-doctor style: a header per host, one line per check
 * (✓ pass, ! warning, ✗ failure or error, - skipped), the summary, expected
 * vs actual, the evidence command and the exact fix commands under each
 * problem, and a closing verdict. Fits 80 columns; `color: false` → no ANSI.
 */
import { type CheckResult, countResults, type HostTimings, type RunEvent, subjectLabel } from '../model.js';
import { endOfRunReporter, type RunRecord } from './record.js';
import { redactResult } from './redact.js';
import { cleanText, evidenceWhere, formatSeconds, oneLine, plural } from './text.js';
import type { Reporter, Sink } from './types.js';

export interface HumanReporterOptions {
  color: boolean;
  verbose: boolean;
  /** End with the slowest gather sections per host (--timings). */
  timings?: boolean;
  /** Line width; default 80. */
  width?: number;
}

const SYMBOL: Record<CheckResult['status'], string> = {
  pass: '✓',
  warn: '!',
  fail: '✗',
  error: '✗',
  skip: '-',
};
const ANSI = { red: 31, green: 32, yellow: 33, gray: 90, bold: 1 } as const;

/** Display length in code points (wide characters are rare in check output; we do not measure them). */
function len(s: string): number {
  return Array.from(s).length;
}

export function truncate(s: string, width: number): string {
  const chars = Array.from(s);
  if (chars.length <= width) return s;
  return `${chars.slice(0, Math.max(0, width - 1)).join('')}…`;
}

/** Word-wrap `text` into lines of at most `width` (hard-splitting words longer than a line). */
export function wrap(text: string, width: number): string[] {
  const w = Math.max(10, width);
  const lines: string[] = [];
  let cur = '';
  for (let word of oneLine(text).split(' ')) {
    if (!word) continue;
    while (len(word) > w) {
      if (cur) {
        lines.push(cur);
        cur = '';
      }
      const chars = Array.from(word);
      lines.push(chars.slice(0, w).join(''));
      word = chars.slice(w).join('');
    }
    if (!cur) cur = word;
    else if (len(cur) + 1 + len(word) <= w) cur += ` ${word}`;
    else {
      lines.push(cur);
      cur = word;
    }
  }
  if (cur) lines.push(cur);
  return lines;
}

/** Split a shell command into words, keeping quoted strings whole (they must not be broken). */
function shellWords(cmd: string): string[] {
  const words: string[] = [];
  let cur = '';
  let quote: string | null = null;
  for (const ch of cmd) {
    if (quote) {
      cur += ch;
      if (ch === quote) quote = null;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      cur += ch;
    } else if (ch === ' ' || ch === '\t') {
      if (cur) words.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (cur) words.push(cur);
  return words;
}

/**
 * A fix command laid out for copy and paste: `prefix cmd` when it fits, otherwise
 * broken between words outside quotes with ` \` continuations (still a valid command).
 */
export function wrapCommand(prefix: string, cmd: string, width: number, contIndent: string): string[] {
  const one = oneLine(cmd);
  if (len(prefix) + len(one) <= width) return [prefix + one];
  const lines: string[] = [];
  let cur = prefix;
  let empty = true;
  for (const word of shellWords(one)) {
    const room = width - 2; // keep space for ` \`
    if (!empty && len(cur) + 1 + len(word) > room) {
      lines.push(`${cur} \\`);
      cur = contIndent + word;
    } else {
      cur += empty ? word : ` ${word}`;
    }
    empty = false;
  }
  lines.push(cur);
  return lines;
}

export function createHumanReporter(sink: Sink, opts: HumanReporterOptions): Reporter {
  const width = opts.width ?? 80;
  const paint = (code: number, s: string) => (opts.color ? `\u001b[${code}m${s}\u001b[0m` : s);

  const statusColor = (s: CheckResult['status']) =>
    s === 'pass' ? ANSI.green : s === 'warn' ? ANSI.yellow : s === 'skip' ? ANSI.gray : ANSI.red;

  const renderResult = (r: CheckResult, group: string | null): string[] => {
    const out: string[] = [];
    const label = subjectLabel(r.subject);
    const about = label && label !== group ? ` (${label})` : '';
    const idTag = opts.verbose || r.status === 'fail' || r.status === 'error' ? `  [${r.id}]` : '';
    const skipWhy = r.status === 'skip' ? ` — skipped: ${oneLine(r.summary)}` : '';
    const text = truncate(`${oneLine(r.title)}${about}${skipWhy}`, width - 4 - len(idTag));
    out.push(`  ${paint(statusColor(r.status), SYMBOL[r.status])} ${text}${paint(ANSI.gray, idTag)}`);
    const detailed =
      r.status === 'fail' ||
      r.status === 'error' ||
      r.status === 'warn' ||
      (opts.verbose && r.status !== 'skip');
    if (!detailed) return out;
    const pad = '      ';
    const inner = width - pad.length;
    const summary = r.status === 'error' ? `check error: ${r.summary}` : r.summary;
    for (const l of wrap(summary, inner)) out.push(pad + l);
    if (r.expected !== undefined) out.push(pad + truncate(`expected: ${oneLine(r.expected)}`, inner));
    if (r.actual !== undefined) out.push(pad + truncate(`actual:   ${oneLine(r.actual)}`, inner));
    for (const ev of r.evidence) {
      if (ev.command !== undefined) {
        const where = evidenceWhere(ev);
        out.push(pad + truncate(`$ ${oneLine(ev.command)}${where ? `  (${where})` : ''}`, inner));
      }
      if (opts.verbose && ev.excerpt) {
        const lines = cleanText(ev.excerpt).replace(/\n+$/, '').split('\n');
        for (const l of lines.slice(0, 12))
          out.push(pad + paint(ANSI.gray, truncate(`│ ${l.replace(/\t/g, '  ')}`, inner)));
        if (lines.length > 12) out.push(pad + paint(ANSI.gray, `│ … ${lines.length - 12} more lines`));
      }
      if (opts.verbose && ev.note) for (const l of wrap(`note: ${ev.note}`, inner)) out.push(pad + l);
    }
    if (opts.verbose && r.hint?.why) for (const l of wrap(`why: ${r.hint.why}`, inner)) out.push(pad + l);
    for (const f of r.hint?.fix ?? []) out.push(...wrapCommand(`${pad}fix: `, f, width, `${pad}       `));
    return out;
  };

  const render = (run: RunRecord): string => {
    const groups = new Map<string | null, CheckResult[]>();
    if (run.results.some((r) => r.subject.host === undefined)) groups.set(null, []);
    for (const h of run.hosts) groups.set(h, []);
    for (const raw of run.results) {
      const r = redactResult(raw);
      const key = r.subject.host ?? null;
      let list = groups.get(key);
      if (!list) {
        list = [];
        groups.set(key, list);
      }
      list.push(r);
    }
    const lines: string[] = [];
    for (const [host, list] of groups) {
      if (list.length === 0 && host !== null) {
        lines.push(paint(ANSI.bold, truncate(host, width)));
        lines.push(`  ${paint(ANSI.gray, '-')} no checks ran`);
        continue;
      }
      lines.push(paint(ANSI.bold, host === null ? 'Cluster' : truncate(host, width)));
      for (const r of list) lines.push(...renderResult(r, host));
    }
    lines.push('');
    const c = countResults(run.results);
    const problems = c.fail + c.error;
    const problemHosts = new Set(
      run.results
        .filter((r) => r.status === 'fail' || r.status === 'error')
        .map((r) => r.subject.host ?? null),
    );
    const where: string[] = [];
    const hostCount = [...problemHosts].filter((h) => h !== null).length;
    if (hostCount > 0) where.push(`on ${plural(hostCount, 'host')}`);
    if (problemHosts.has(null)) where.push('cluster-wide');
    const extras: string[] = [];
    if (c.warn > 0) extras.push(plural(c.warn, 'warning'));
    if (c.skip > 0) extras.push(`${c.skip} skipped`);
    const tail = extras.length ? ` (${extras.join(', ')})` : '';
    if (run.aborted !== undefined) lines.push(paint(ANSI.red, `✗ Run aborted: ${oneLine(run.aborted)}`));
    if (problems > 0) {
      lines.push(paint(ANSI.red, `Found ${plural(problems, 'problem')} ${where.join(' and ')}${tail}.`));
    } else if (c.warn > 0) {
      lines.push(paint(ANSI.yellow, `No problems found${tail}.`));
    } else if (run.aborted === undefined) {
      lines.push(paint(ANSI.green, `No issues found!${c.skip > 0 ? tail : ''}`));
    }
    lines.push(paint(ANSI.gray, `${plural(c.total, 'check')} in ${formatSeconds(run.durationMs ?? 0)}`));
    if (opts.timings && run.timings?.length) lines.push('', ...timingLines(run.timings, width));
    return `${lines.join('\n')}\n`;
  };

  return endOfRunReporter(sink, render, {
    onEvent(e: RunEvent) {
      if (e.type === 'run-start') {
        sink.write(
          `${truncate(`lxdcheck ${e.scenario}: cluster ${e.cluster}, ${plural(e.hosts.length, 'host')}`, width)}\n\n`,
        );
      }
      if (e.type === 'host-gather-end' && !e.ok) {
        for (const l of wrap(`! ${e.host}: could not gather facts${e.error ? `: ${e.error}` : ''}`, width)) {
          sink.write(`${paint(ANSI.yellow, l)}\n`);
        }
      }
    },
  });
}

/**
 * Where the gather time went, per host: each stage, then the slowest
 * sections (host-side times), so a slow run points at its slow probe.
 */
export function timingLines(timings: readonly HostTimings[], width: number, top = 5): string[] {
  const ms = (n: number) => (n < 1000 ? `${n} ms` : `${(n / 1000).toFixed(2)} s`);
  const lines = ['Timings (slowest sections per host)'];
  for (const t of timings) {
    const stages = t.stages.map((s) => `${s.name} ${ms(s.durationMs)}`).join(', ');
    lines.push(truncate(`  ${t.host}: ${ms(t.totalMs)}${stages ? ` (${stages})` : ''}`, width));
    for (const s of t.sections.slice(0, top)) {
      const where = s.stage ? ` [${s.stage}]` : '';
      lines.push(
        truncate(
          `    ${ms(s.durationMs).padStart(8)}  ${s.name}${where}${s.timedOut ? ' (timed out)' : ''}`,
          width,
        ),
      );
    }
  }
  return lines;
}
