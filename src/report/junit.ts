/**
 * JUnit XML reporter: `<testsuites>` with one `<testsuite>` per host and one
 * per check family for cluster-wide results (`cluster:dhcp`). Written even when
 * the run aborts: planned checks that never produced a result become
 * `<skipped message="not run: <reason>">`, so CI always gets a report.
 */
import { type CheckResult, familyOf, type PlannedCheck, type Subject } from '../model.js';
import { endOfRunReporter } from './record.js';
import { redactResult } from './redact.js';
import { cleanText, describe, describeResult, groupHost, oneLine } from './text.js';
import type { Reporter, Sink } from './types.js';

/** Drop characters XML 1.0 forbids (C0 controls except tab/LF/CR, lone surrogates, U+FFFE/U+FFFF). */
export function stripInvalidXmlChars(s: string): string {
  return s.replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '');
}

export function escapeXmlText(s: string): string {
  return stripInvalidXmlChars(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Attribute values also keep their tabs and line breaks (`&#10;`), which parsers would otherwise normalise. */
export function escapeXmlAttr(s: string): string {
  return escapeXmlText(s)
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/\t/g, '&#9;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;');
}

interface Case {
  name: string;
  classname: string;
  timeS: number;
  status: CheckResult['status'] | 'not-run';
  result?: CheckResult;
  notRunReason?: string;
}

function suiteName(subject: Subject, id: string): string {
  const host = groupHost(subject);
  return host ?? `cluster:${familyOf(id)}`;
}

function classname(subject: Subject): string {
  return `lxdcheck.${groupHost(subject) ?? 'cluster'}`;
}

function detailText(r: CheckResult): string {
  const lines: string[] = [r.summary];
  if (r.expected !== undefined) lines.push(`expected: ${r.expected}`);
  if (r.actual !== undefined) lines.push(`actual: ${r.actual}`);
  for (const ev of r.evidence) {
    const where = ev.host ? ` on ${ev.host}` : '';
    if (ev.command !== undefined) {
      const code = ev.exitCode === undefined ? '' : ` (exit ${ev.exitCode === null ? 'none' : ev.exitCode})`;
      lines.push(`$ ${ev.command}${where}${code}`);
    } else if (where) {
      lines.push(`evidence${where}:`);
    }
    if (ev.excerpt)
      lines.push(
        ...ev.excerpt
          .replace(/\n$/, '')
          .split('\n')
          .map((l) => `  ${l}`),
      );
    if (ev.note) lines.push(`note: ${ev.note}`);
  }
  if (r.causedBy !== undefined) lines.push(`explained by: ${r.causedBy} (fix that first)`);
  if (r.root) lines.push('root cause: fixing this fixes the failures it explains');
  if (r.hint?.why) lines.push(`why: ${r.hint.why}`);
  for (const f of r.hint?.fix ?? []) lines.push(`fix: ${f}`);
  return cleanText(lines.join('\n'));
}

function renderCase(c: Case): string {
  const attrs = `classname="${escapeXmlAttr(c.classname)}" name="${escapeXmlAttr(c.name)}" time="${c.timeS.toFixed(3)}"`;
  const r = c.result;
  if (c.status === 'not-run') {
    return `    <testcase ${attrs}>\n      <skipped message="${escapeXmlAttr(`not run: ${c.notRunReason ?? 'run aborted'}`)}"/>\n    </testcase>\n`;
  }
  if (!r || c.status === 'pass') return `    <testcase ${attrs}/>\n`;
  // A consequence's message names its cause first: the CI page then points at the one thing to fix.
  const summary = cleanText(
    r.causedBy !== undefined
      ? `explained by ${r.causedBy}: ${r.summary}`
      : r.root
        ? `root cause: ${r.summary}`
        : r.summary,
  );
  if (c.status === 'skip') {
    return `    <testcase ${attrs}>\n      <skipped message="${escapeXmlAttr(summary)}"/>\n    </testcase>\n`;
  }
  const body = escapeXmlText(detailText(r));
  if (c.status === 'warn') {
    return `    <testcase ${attrs}>\n      <system-out>${escapeXmlText('WARNING: ')}${body}</system-out>\n    </testcase>\n`;
  }
  return `    <testcase ${attrs}>\n      <failure message="${escapeXmlAttr(summary)}" type="${c.status}">${body}</failure>\n    </testcase>\n`;
}

/** Render the whole document. Exposed for tests and for `--output` re-rendering. */
export function renderJunit(opts: {
  cluster: string;
  results: readonly CheckResult[];
  notRun?: readonly PlannedCheck[];
  notRunReason?: string;
  durationMs: number;
  timestamp?: Date;
}): string {
  const suites = new Map<string, Case[]>();
  const add = (name: string, c: Case) => {
    let list = suites.get(name);
    if (!list) {
      list = [];
      suites.set(name, list);
    }
    list.push(c);
  };
  for (const raw of opts.results) {
    const r = redactResult(raw);
    add(suiteName(r.subject, r.id), {
      name: oneLine(describeResult(r)),
      classname: classname(r.subject),
      timeS: Math.max(0, r.durationMs) / 1000,
      status: r.status,
      result: r,
    });
  }
  for (const p of opts.notRun ?? []) {
    add(suiteName(p.subject, p.id), {
      name: oneLine(describe(p.id, p.subject, p.title)),
      classname: classname(p.subject),
      timeS: 0,
      status: 'not-run',
      notRunReason: opts.notRunReason ?? 'run aborted',
    });
  }
  const tally = (cases: Case[]) => ({
    tests: cases.length,
    failures: cases.filter((c) => c.status === 'fail' || c.status === 'error').length,
    skipped: cases.filter((c) => c.status === 'skip' || c.status === 'not-run').length,
    time: cases.reduce((s, c) => s + c.timeS, 0),
  });
  const all = [...suites.values()].flat();
  const t = tally(all);
  const stamp = (opts.timestamp ?? new Date()).toISOString().replace(/\.\d{3}Z$/, '');
  let out = '<?xml version="1.0" encoding="UTF-8"?>\n';
  out += `<testsuites name="${escapeXmlAttr(`lxdcheck ${opts.cluster}`.trim())}" tests="${t.tests}" failures="${t.failures}" errors="0" skipped="${t.skipped}" time="${(opts.durationMs / 1000).toFixed(3)}">\n`;
  for (const [name, cases] of suites) {
    const s = tally(cases);
    out += `  <testsuite name="${escapeXmlAttr(name)}" tests="${s.tests}" failures="${s.failures}" errors="0" skipped="${s.skipped}" time="${s.time.toFixed(3)}" timestamp="${stamp}">\n`;
    for (const c of cases) out += renderCase(c);
    out += '  </testsuite>\n';
  }
  out += '</testsuites>\n';
  return out;
}

export function createJunitReporter(sink: Sink, opts: { now?: () => Date } = {}): Reporter {
  const now = opts.now ?? (() => new Date());
  return endOfRunReporter(
    sink,
    (run) =>
      renderJunit({
        cluster: run.cluster,
        results: run.results,
        // Written even when the run stopped early: what never ran is listed as skipped, with why.
        notRun: run.aborted !== undefined ? run.planned.filter((p) => !run.seenKeys.has(p.key)) : [],
        notRunReason: run.aborted,
        durationMs: run.durationMs ?? 0,
        timestamp: run.startedAt ?? now(),
      }),
    { now },
  );
}
