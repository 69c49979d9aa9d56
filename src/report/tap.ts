/**
 * TAP 14 reporter (README "TAP consumers").
 *
 * `TAP version 14` at run-start, progress comments as they come, and the test
 * points when the run ends, because only then does each failure know its root
 * cause (`root: true`, or `cause: "<check id> <subject>"` in its YAML block).
 * The plan comes LAST (TAP 14 allows a trailing plan). Every non-pass result
 * carries a YAML diagnostic block. A run that dies still gets its points so
 * far, then `Bail out!`.
 *
 * The YAML is produced by the `yaml` package but kept inside the "YAMLish"
 * subset that Perl's TAP::Parser reads (prove), because one unreadable block
 * makes prove fail the whole stream:
 * - no line folding;
 * - a multi-line string is normalised to end with exactly one newline and is
 *   written as a `|` block scalar when that is unambiguous (no blank lines, no
 *   leading blank on the first line, no control characters), otherwise as one
 *   JSON-style double-quoted line (`"a\n\nb\n"`).
 */
import YAML, { isScalar } from 'yaml';
import { type CheckResult, countResults, type Diagnosis, type RunEvent } from '../model.js';
import { redactSecrets } from '../redact.js';
import { redactResult } from './redact.js';
import { cleanText, describeResult, formatSeconds, oneLine } from './text.js';
import type { Reporter, Sink } from './types.js';

export interface TapReporterOptions {
  /**
   * The version line to print. Default 14. `13` exists only for old consumers:
   * Perl's Test::Harness before 3.48 (e.g. Debian 12's prove 3.44) rejects
   * `TAP version 14` with a parse error although everything else we print is
   * valid TAP 13.
   */
  version?: 13 | 14;
}

/** Escape a test point description: one line, `\` → `\\`, `#` → `\#`, and never end in `{` (a buffered subtest). */
export function escapeDescription(s: string): string {
  let out = oneLine(s).replace(/\\/g, '\\\\').replace(/#/g, '\\#');
  if (/\{\s*$/.test(out)) out = `${out.replace(/\s+$/, '')}}`;
  return out;
}

/** A directive reason (`# SKIP reason`): like a description, and never empty. */
function escapeReason(s: string): string {
  return escapeDescription(s) || 'skipped';
}

/** Bail-out reasons and comments: one line. */
function commentText(s: string): string {
  return oneLine(s);
}

/** Normalise multi-line strings (see module comment); single-line strings are only cleaned of controls. */
function normaliseString(s: string): string {
  const clean = cleanText(s);
  if (!clean.includes('\n')) return clean;
  return `${clean.replace(/\s+$/, '')}\n`;
}

/** True when `s` (already normalised, multi-line) reads the same as a `|` block in YAML and in Perl's YAMLish. */
function blockSafe(s: string): boolean {
  if (!s.endsWith('\n') || s.endsWith('\n\n')) return false;
  const lines = s.slice(0, -1).split('\n');
  if (/^[ \t]/.test(lines[0] ?? '')) return false;
  if (lines.some((l) => l.trim() === '')) return false;
  return !/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\uFFFD]/.test(s);
}

function diagFor(r: CheckResult): Record<string, unknown> {
  const d: Record<string, unknown> = { id: r.id };
  const { host, peer, container, peerContainer } = r.subject;
  if (host !== undefined) d.host = host;
  if (peer !== undefined) d.peer = peer;
  if (container !== undefined) d.container = container;
  if (peerContainer !== undefined) d.peerContainer = peerContainer;
  d.status = r.status;
  if (r.status === 'warn') d.severity = 'warn';
  if (r.root) d.root = true;
  if (r.causedBy !== undefined) d.cause = r.causedBy;
  d.summary = r.summary;
  if (r.expected !== undefined) d.expected = r.expected;
  if (r.actual !== undefined) d.actual = r.actual;
  if (r.metrics && Object.keys(r.metrics).length > 0) d.metrics = { ...r.metrics };
  if (r.evidence.length > 0) {
    d.evidence = r.evidence.map((ev) => {
      const e: Record<string, unknown> = {};
      if (ev.host !== undefined) e.host = ev.host;
      if (ev.command !== undefined) e.command = ev.command;
      if (ev.exitCode !== undefined) e.exitCode = ev.exitCode;
      if (ev.excerpt !== undefined) e.excerpt = ev.excerpt;
      if (ev.note !== undefined) e.note = ev.note;
      return e;
    });
  }
  if (r.hint && (r.hint.why !== undefined || (r.hint.fix && r.hint.fix.length > 0))) {
    const h: Record<string, unknown> = {};
    if (r.hint.why !== undefined) h.why = r.hint.why;
    if (r.hint.fix && r.hint.fix.length > 0) h.fix = [...r.hint.fix];
    d.hint = h;
  }
  d.durationMs = r.durationMs;
  return d;
}

function normaliseDeep(v: unknown): unknown {
  if (typeof v === 'string') return normaliseString(v);
  if (Array.isArray(v)) return v.map(normaliseDeep);
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normaliseDeep(x)]));
  }
  return v;
}

/** The YAML diagnostic block for a result, indented two spaces, `  ---` … `  ...`, ending in a newline. */
export function yamlBlock(data: Record<string, unknown>): string {
  const doc = new YAML.Document(normaliseDeep(data));
  YAML.visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value === 'string' && node.value.includes('\n')) {
        node.type = blockSafe(node.value) ? 'BLOCK_LITERAL' : 'QUOTE_DOUBLE';
      }
    },
  });
  // Keys are plain identifiers; make sure none is emitted as a complex key.
  YAML.visit(doc, {
    Pair(_key, pair) {
      if (isScalar(pair.key) && typeof pair.key.value === 'string') pair.key.type = 'PLAIN';
    },
  });
  const body = doc.toString({ lineWidth: 0, doubleQuotedAsJSON: true, indentSeq: true });
  const lines = body.replace(/\n$/, '').split('\n');
  return `  ---\n${lines.map((l) => `  ${l}`).join('\n')}\n  ...\n`;
}

/** One test point (plus YAML block for non-pass results) for result number `n`. */
export function formatTestPoint(n: number, result: CheckResult): string {
  const r = redactResult(result);
  const desc = escapeDescription(describeResult(r));
  switch (r.status) {
    case 'pass':
      return `ok ${n} - ${desc}\n`;
    case 'skip':
      return `ok ${n} - ${desc} # SKIP ${escapeReason(r.summary)}\n${yamlBlock(diagFor(r))}`;
    case 'warn':
      return `ok ${n} - ${desc}\n${yamlBlock(diagFor(r))}`;
    default:
      return `not ok ${n} - ${desc}\n${yamlBlock(diagFor(r))}`;
  }
}

/** `# lxdcheck: N checks, P passed, F failed, W warnings, S skipped, E errors in 1.2s` */
export function summaryComment(results: readonly CheckResult[], durationMs: number): string {
  const c = countResults(results);
  return `# lxdcheck: ${c.total} checks, ${c.pass} passed, ${c.fail} failed, ${c.warn} warnings, ${c.skip} skipped, ${c.error} errors in ${formatSeconds(durationMs)}\n`;
}

/** `# root cause 1: ...` comment lines, so a TAP log read by a person leads to the cause too. */
export function diagnosisComments(d: Diagnosis): string[] {
  return d.rootCauses.map(
    (c, i) =>
      `root cause ${i + 1}: ${redactSecrets(c.summary)} [${c.key}]${c.explains.length > 0 ? `; explains ${c.explains.length} other failing result${c.explains.length === 1 ? '' : 's'}` : ''}`,
  );
}

export function createTapReporter(sink: Sink, opts: TapReporterOptions = {}): Reporter {
  const version = opts.version ?? 14;
  let started = false;
  let closed = false; // plan or bail-out written: nothing but the end follows
  let n = 0;
  /** Results as they arrive; written when the run ends (with their causes) or dies. */
  const pending: CheckResult[] = [];
  const results: CheckResult[] = [];
  const writePoints = (list: readonly CheckResult[]) => {
    for (const r of list) {
      n++;
      results.push(r);
      sink.write(formatTestPoint(n, r));
    }
  };

  const start = () => {
    if (!started) {
      started = true;
      sink.write(`TAP version ${version}\n`);
    }
  };
  const comment = (s: string) => {
    start();
    if (!closed) sink.write(`# ${commentText(s)}\n`);
  };
  const bail = (reason: string) => {
    start();
    if (closed) return;
    writePoints(pending.splice(0));
    closed = true;
    const text = commentText(reason);
    sink.write(text ? `Bail out! ${text}\n` : 'Bail out!\n');
  };

  return {
    onEvent(e: RunEvent) {
      switch (e.type) {
        case 'run-start':
          start();
          break;
        case 'host-gather-end':
          if (!e.ok) comment(`${e.host}: gathering facts failed${e.error ? `: ${e.error}` : ''}`);
          break;
        case 'progress':
          comment(e.message);
          break;
        case 'result':
          start();
          if (closed) return;
          pending.push(e.result);
          break;
        case 'bail-out':
          bail(e.reason);
          break;
        case 'run-end':
          start();
          if (closed) return;
          // The engine's final list carries the diagnosis; fall back to what arrived.
          if (e.results.length >= pending.length) pending.splice(0, pending.length, ...e.results);
          if (e.aborted) {
            // An aborted run must not look complete: a plan would make a partial stream pass.
            bail(`run aborted: ${e.aborted}`);
            return;
          }
          writePoints(pending.splice(0));
          if (e.diagnosis)
            for (const line of diagnosisComments(e.diagnosis)) sink.write(`# ${commentText(line)}\n`);
          sink.write(summaryComment(results, e.durationMs));
          sink.write(`1..${n}\n`);
          closed = true;
          break;
        default:
          break;
      }
    },
    async finish() {
      if (!closed) bail('run did not finish');
      await sink.end();
    },
  };
}
