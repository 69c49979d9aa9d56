/**
 * Human reporter, flutter-doctor style: a header per host, one line per check
 * (✓ pass, ! warning, ✗ failure or error, - skipped), the summary, expected
 * vs actual, the evidence command and the exact fix commands under each
 * problem, and a closing verdict. Fits 80 columns; `color: false` → no ANSI.
 */
import { resultKey } from '../diagnosis/diagnose.js';
import {
  type CauseSighting,
  type CheckResult,
  countResults,
  type Diagnosis,
  type HostTimings,
  type RootCause,
  type RunEvent,
  subjectLabel,
} from '../model.js';
import { plural } from '../util/plural.js';
import { endOfRunReporter, type RunRecord } from './record.js';
import { redactDiagnosis, redactResult } from './redact.js';
import { cleanText, evidenceWhere, formatSeconds, oneLine, rootCauseVerdict } from './text.js';
import type { Reporter, Sink } from './types.js';
import { textWidth, truncate, wrapWords } from './width.js';

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

/** Word-wrap `text` as one line into lines of at most `width` columns (hard-splitting words longer than a line). */
function wrap(text: string, width: number): string[] {
  return wrapWords(oneLine(text), Math.max(10, width));
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
  if (textWidth(prefix) + textWidth(one) <= width) return [prefix + one];
  const words = shellWords(one);
  // A trailing `# comment` is never continued with `\`: it goes after the command, or on a line of its own.
  const hash = words.findIndex((w) => w.startsWith('#'));
  const command = hash >= 0 ? words.slice(0, hash) : words;
  const comment = hash >= 0 ? words.slice(hash).join(' ') : '';
  const lines: string[] = [];
  let cur = prefix;
  let empty = true;
  for (const word of command) {
    const room = width - 2; // keep space for ` \`
    if (!empty && textWidth(cur) + 1 + textWidth(word) > room) {
      lines.push(`${cur} \\`);
      cur = contIndent + word;
    } else {
      cur += empty ? word : ` ${word}`;
    }
    empty = false;
  }
  if (comment) {
    if (empty) cur += comment;
    else if (textWidth(cur) + 3 + textWidth(comment) <= width) cur += `   ${comment}`;
    else {
      lines.push(cur);
      cur = contIndent + comment;
    }
  }
  lines.push(cur);
  return lines;
}

/** Folded consequences shown under a root cause without --verbose. */
const MAX_FOLDED = 8;

/** post-reboot: when each root cause was seen, and whether the cluster converged. */
export function renderTimeline(d: Diagnosis): string[] {
  if (!d.timeline) return [];
  const out: string[] = [];
  const at = (s: CauseSighting) =>
    `round ${s.round} (${s.seconds} s${s.hostUptimeSeconds !== undefined ? `, host up ${s.hostUptimeSeconds} s` : ''})`;
  if (d.converged) out.push(`Converged in round ${d.converged.round}, after ${d.converged.seconds} s.`);
  else if (d.converged === null) out.push(`Never converged in ${plural(d.rounds ?? 0, 'round')}.`);
  if (d.timeline.length > 0) out.push('Root causes over the rounds:');
  for (const t of d.timeline) {
    const state = t.healed ? 'healed by itself' : 'still there at the end';
    out.push(
      `  ${t.healed ? '!' : '✗'} ${oneLine(t.summary)} [${t.key}]: first seen ${at(t.firstSeen)}, last seen ${at(t.lastSeen)}; ${state}`,
    );
    if (t.healed)
      out.push('    a race in start order that happened to win this time: it can lose after the next reboot');
  }
  if (out.length > 0) out.push('');
  return out;
}

export function createHumanReporter(sink: Sink, opts: HumanReporterOptions): Reporter {
  const width = opts.width ?? 80;
  const paint = (code: number, s: string) => (opts.color ? `\u001b[${code}m${s}\u001b[0m` : s);

  const statusColor = (s: CheckResult['status']) =>
    s === 'pass' ? ANSI.green : s === 'warn' ? ANSI.yellow : s === 'skip' ? ANSI.gray : ANSI.red;

  /** Problem numbers of the root causes, by root key (set when the run carries a diagnosis). */
  let problemNumber = new Map<string, number>();

  const renderResult = (r: CheckResult, group: string | null): string[] => {
    const out: string[] = [];
    const label = subjectLabel(r.subject);
    const about = label && label !== group ? ` (${label})` : '';
    const idTag = opts.verbose || r.status === 'fail' || r.status === 'error' ? `  [${r.id}]` : '';
    const skipWhy = r.status === 'skip' ? ` — skipped: ${oneLine(r.summary)}` : '';
    // A root or a consequence is told in the diagnosis above: here one line that points there.
    const pointer = diagnosisPointer(r);
    // The pointer leads, so truncating a long title never cuts it off.
    const text = truncate(
      `${pointer ?? ''}${oneLine(r.title)}${about}${skipWhy}`,
      width - 4 - textWidth(idTag),
    );
    out.push(`  ${paint(statusColor(r.status), SYMBOL[r.status])} ${text}${paint(ANSI.gray, idTag)}`);
    if (pointer !== null) return out;
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

  const diagnosisPointer = (r: CheckResult): string | null => {
    const key = resultKey(r);
    const own = problemNumber.get(key);
    if (own !== undefined && r.root) return `#${own} `;
    if (r.causedBy !== undefined) {
      const n = problemNumber.get(r.causedBy);
      return n !== undefined ? `→${n} ` : '→ ';
    }
    return null;
  };

  /** One root cause: what, where, the fix in order, and the failures it explains folded under it. */
  const renderRoot = (c: RootCause, n: number, byKey: ReadonlyMap<string, CheckResult>): string[] => {
    const out: string[] = [];
    const pad = '      ';
    const inner = width - pad.length;
    const root = byKey.get(c.key);
    const where = c.host ?? 'cluster';
    const tag = `  [${c.key}]`;
    // The headline is what is wrong (the summary), not the check's title.
    const [first = '', ...more] = wrap(`${where}: ${c.summary}`, width - 6);
    out.push(`${paint(ANSI.red, '✗')} ${paint(ANSI.bold, `${n}.`)}  ${first}`);
    for (const l of more) out.push(pad + l);
    out.push(pad + paint(ANSI.gray, truncate(tag.trim(), inner)));
    if (root?.expected !== undefined) out.push(pad + truncate(`expected: ${oneLine(root.expected)}`, inner));
    if (root?.actual !== undefined) out.push(pad + truncate(`actual:   ${oneLine(root.actual)}`, inner));
    if (opts.verbose && root) {
      for (const ev of root.evidence) {
        if (ev.command !== undefined) out.push(pad + truncate(`$ ${oneLine(ev.command)}`, inner));
        for (const l of cleanText(ev.excerpt ?? '')
          .split('\n')
          .filter(Boolean)
          .slice(0, 12))
          out.push(pad + paint(ANSI.gray, truncate(`│ ${l.replace(/\t/g, '  ')}`, inner)));
      }
      if (root.hint?.why) for (const l of wrap(`why: ${root.hint.why}`, inner)) out.push(pad + l);
    }
    for (const f of c.fix) out.push(...wrapCommand(`${pad}fix: `, f, width, `${pad}       `));
    if (c.explains.length > 0) {
      out.push(`${pad}explains ${plural(c.explains.length, 'other failure')}:`);
      const shown = opts.verbose ? c.explains : c.explains.slice(0, MAX_FOLDED);
      for (const k of shown) {
        const r = byKey.get(k);
        const sym = r ? paint(statusColor(r.status), SYMBOL[r.status]) : '✗';
        const what = r ? `${subjectLabel(r.subject) || 'cluster'}: ${oneLine(r.title)}` : k;
        const tagK = r ? `  [${r.id}]` : '';
        out.push(
          `${pad}  ${sym} ${truncate(what, width - pad.length - 4 - textWidth(tagK))}${paint(ANSI.gray, tagK)}`,
        );
      }
      if (shown.length < c.explains.length)
        out.push(`${pad}  … and ${c.explains.length - shown.length} more (--verbose lists them)`);
    }
    return out;
  };

  const render = (run: RunRecord): string => {
    // Summaries and fixes come from hosts: redacted once, for the diagnosis and the timeline alike.
    const diagnosis = run.diagnosis ? redactDiagnosis(run.diagnosis) : undefined;
    const rootCauses = diagnosis?.rootCauses ?? [];
    problemNumber = new Map(rootCauses.map((c, i) => [c.key, i + 1]));
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
    if (diagnosis) {
      const byKey = new Map(run.results.map((r) => [resultKey(r), redactResult(r)]));
      if (rootCauses.length > 0) {
        lines.push(
          paint(
            ANSI.bold,
            `${plural(rootCauses.length, 'problem')} (root causes; below, #N marks each and →N what it explains):`,
          ),
        );
        lines.push('');
        rootCauses.forEach((c, i) => {
          lines.push(...renderRoot(c, i + 1, byKey));
          lines.push('');
        });
      }
      for (const l of renderTimeline(diagnosis)) lines.push(l);
    }
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
    if (rootCauses.length > 0) {
      lines.push(paint(ANSI.red, `${rootCauseVerdict(rootCauses)}${tail}.`));
    } else if (problems > 0) {
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
