/**
 * `lxdcheck gate`: CI policy over a TAP stream (ours, or any TAP that follows
 * the `<id> <label>: <title>` description format). Reads the stream with
 * tap-parser in strict mode; anything malformed fails the gate with a reason.
 *
 * Policy: an unwaived `not ok` fails; skips fail unless allowSkip; more
 * warnings (ok + YAML `status: warn`) than maxWarnings fail; a missing version
 * line, missing plan, plan/count mismatch, non-TAP line or bail-out fails.
 * Waivers (id and host globs, a required justification, an optional expiry
 * date; read by waivers.ts) excuse fail/error/skip/warn points; an expired
 * waiver no longer excuses anything and the verdict says so; an unused
 * waiver is reported.
 */
import { Parser, type Result } from 'tap-parser';
import type { Status } from '../model.js';
import { globToRegExp } from '../util/glob.js';
import { plural } from '../util/plural.js';
import { oneLine } from './text.js';
import type { Waiver } from './waivers.js';

export function waiverExpired(w: Waiver, now: Date): boolean {
  if (!w.expires) return false;
  const end = new Date(`${w.expires}T00:00:00Z`).getTime() + 24 * 3600 * 1000; // inclusive
  return now.getTime() >= end;
}

export function describeWaiver(w: Waiver): string {
  const what = w.host ? `${w.id} on ${w.host}` : w.id;
  const where = w.source ? ` (${w.source.file}:${w.source.line})` : '';
  return `${what}${where}`;
}

/** One test point as the gate understood it. */
export interface GatePoint {
  n: number;
  ok: boolean;
  id: string;
  /** Subject label (`lxd2`, `lxd1->lxd2`, `c1@lxd1`), '' for cluster-wide. */
  label: string;
  host?: string;
  status: Status;
  /** `not ok … # TODO`: TAP would not count it, the gate does. */
  todo: boolean;
  description: string;
}

export interface GateCounts {
  total: number;
  pass: number;
  fail: number;
  error: number;
  warn: number;
  skip: number;
  waived: number;
}

export interface GateVerdict {
  pass: boolean;
  reasons: string[];
  counts: GateCounts;
  waived: { point: GatePoint; waiver: Waiver }[];
  /** Waivers past their expiry date (they waived nothing). */
  expiredWaivers: Waiver[];
  /** Unexpired waivers that matched no non-passing point: remove them. */
  unusedWaivers: Waiver[];
  points: GatePoint[];
  /** A short human verdict to print. */
  text: string;
}

export interface GateOptions {
  waivers?: Waiver[];
  allowSkip?: boolean;
  /** Default: unlimited. */
  maxWarnings?: number;
  now?: Date;
}

/** Split `<id> <label>: <title>` (or `<id>: <title>`). */
export function parseDescription(name: string): { id: string; label: string; title: string } {
  const m = /^([^\s:]+)(?: (\S+?))?: (.*)$/s.exec(name);
  if (m) return { id: m[1]!, label: m[2] ?? '', title: m[3]! };
  const [first = '', ...rest] = name.split(' ');
  return { id: first, label: '', title: rest.join(' ') };
}

function hostFromLabel(label: string): string | undefined {
  const left = label.split('->')[0] ?? '';
  const at = left.lastIndexOf('@');
  const host = at >= 0 ? left.slice(at + 1) : left;
  return host || undefined;
}

function toPoint(res: Result, index: number): GatePoint {
  const { id, label } = parseDescription(res.name ?? '');
  const diag = res.diag && typeof res.diag === 'object' ? (res.diag as Record<string, unknown>) : {};
  const diagStatus = typeof diag.status === 'string' ? diag.status : undefined;
  let status: Status;
  if (!res.ok) status = diagStatus === 'error' ? 'error' : 'fail';
  else if (res.skip) status = 'skip';
  else if (diagStatus === 'warn' || diag.severity === 'warn') status = 'warn';
  else status = 'pass';
  const host = typeof diag.host === 'string' ? diag.host : hostFromLabel(label);
  const p: GatePoint = {
    n: res.id || index + 1,
    ok: res.ok,
    id: typeof diag.id === 'string' && diag.id ? diag.id : id,
    label,
    status,
    todo: !res.ok && !!res.todo,
    description: res.name ?? '',
  };
  if (host !== undefined) p.host = host;
  return p;
}

function matches(w: Waiver, p: GatePoint): boolean {
  if (!globToRegExp(w.id).test(p.id)) return false;
  if (w.host === undefined) return true;
  const re = globToRegExp(w.host);
  return (p.host !== undefined && re.test(p.host)) || (p.label !== '' && re.test(p.label));
}

interface ParsedTap {
  points: GatePoint[];
  /** Failing points inside subtests (any depth): `not ok` under an `ok` parent still fails. */
  subtestFailures: string[];
  sawVersion: boolean;
  bailout: string | null;
  problems: string[];
  planEnd: number | null;
}

function parseTap(text: string): Promise<ParsedTap> {
  return new Promise((resolve) => {
    const parser = new Parser({ strict: true });
    const points: GatePoint[] = [];
    let sawVersion = false;
    let bailout: string | null = null;
    parser.on('version', () => {
      sawVersion = true;
    });
    parser.on('assert', (res: Result) => {
      points.push(toPoint(res, points.length));
    });
    parser.on('bailout', (reason: string) => {
      bailout ??= reason || '(no reason given)';
    });
    const subtestFailures: string[] = [];
    const watchChild = (child: Parser, path: string) => {
      child.on('assert', (res: Result) => {
        if (!res.ok) subtestFailures.push(`${path} > ${res.name || `test point ${res.id}`}`);
      });
      child.on('child', (c: Parser) => watchChild(c, `${path} > ${c.name || 'subtest'}`));
    };
    parser.on('child', (c: Parser) => watchChild(c, c.name || 'subtest'));
    parser.on('complete', (final) => {
      const problems: string[] = [];
      const seen = new Set<string>();
      for (const f of final.failures) {
        const err = (f as { tapError?: string | null }).tapError;
        if (!err) continue;
        let msg: string;
        if (err === 'incorrect number of tests') {
          msg = `plan ${final.plan.start}..${final.plan.end} but ${final.count} test points`;
        } else if (err === 'no plan') {
          msg = 'no plan (1..N) found';
        } else if (/Non-TAP/.test(err)) {
          const data = (f as { data?: string }).data ?? '';
          msg = `non-TAP line: ${JSON.stringify(oneLine(data).slice(0, 80))}`;
        } else {
          const idPart = 'id' in f && typeof f.id === 'number' && f.id ? ` (test point ${f.id})` : '';
          msg = `${err}${idPart}`;
        }
        if (!seen.has(msg)) {
          seen.add(msg);
          problems.push(msg);
        }
      }
      points.forEach((p, i) => {
        if (p.n !== i + 1) problems.push(`test point ${p.n} out of sequence (expected ${i + 1})`);
      });
      const planEnd =
        final.plan && final.plan.end !== null && final.plan.end !== undefined ? final.plan.end : null;
      resolve({ points, subtestFailures, sawVersion, bailout, problems, planEnd: planEnd });
    });
    parser.end(text);
  });
}

export async function gate(tapText: string, opts: GateOptions = {}): Promise<GateVerdict> {
  const now = opts.now ?? new Date();
  const waivers = opts.waivers ?? [];
  const parsed = await parseTap(tapText);
  const reasons: string[] = [];

  if (tapText.trim() === '') reasons.push('malformed TAP: empty input');
  else {
    if (!parsed.sawVersion) reasons.push("malformed TAP: no 'TAP version' line at the start");
    if (parsed.bailout !== null) reasons.push(`run bailed out: ${parsed.bailout}`);
    // A bail-out already explains the missing plan.
    for (const p of parsed.problems) {
      if (parsed.bailout !== null && /^no plan|^plan /.test(p)) continue;
      reasons.push(`malformed TAP: ${p}`);
    }
  }

  // `1..0` (or no test point at all) means no check ran: nothing was proven.
  if (tapText.trim() !== '' && parsed.bailout === null && parsed.points.length === 0)
    reasons.push(`no checks ran (plan ${parsed.planEnd === 0 ? '1..0' : 'without test points'})`);
  for (const f of parsed.subtestFailures) reasons.push(`failed in a subtest: ${f}`);

  const active = waivers.filter((w) => !waiverExpired(w, now));
  const expired = waivers.filter((w) => waiverExpired(w, now));
  const used = new Set<Waiver>();
  const waived: GateVerdict['waived'] = [];
  const counts: GateCounts = { total: 0, pass: 0, fail: 0, error: 0, warn: 0, skip: 0, waived: 0 };
  let unwaivedWarnings = 0;

  for (const p of parsed.points) {
    counts.total++;
    counts[p.status]++;
    if (p.status === 'pass') continue;
    const w = active.find((x) => matches(x, p));
    if (w) {
      used.add(w);
      waived.push({ point: p, waiver: w });
      counts.waived++;
      continue;
    }
    const stale = expired.find((x) => matches(x, p));
    const staleNote = stale ? ` (waiver ${describeWaiver(stale)} expired ${stale.expires})` : '';
    const what = `${p.description} (test point ${p.n})`;
    if (p.status === 'fail') reasons.push(`failed${p.todo ? ' (marked TODO)' : ''}: ${what}${staleNote}`);
    else if (p.status === 'error') reasons.push(`check error: ${what}${staleNote}`);
    else if (p.status === 'skip' && !opts.allowSkip)
      reasons.push(`skipped (skips are not allowed): ${what}${staleNote}`);
    else if (p.status === 'warn') unwaivedWarnings++;
  }
  if (opts.maxWarnings !== undefined && unwaivedWarnings > opts.maxWarnings) {
    reasons.push(`${plural(unwaivedWarnings, 'warning')}, more than the allowed ${opts.maxWarnings}`);
  }
  const unused = active.filter((w) => !used.has(w));
  const pass = reasons.length === 0;

  const lines: string[] = [];
  const tally = [
    `${counts.pass} passed`,
    counts.fail ? `${counts.fail} failed` : '',
    counts.error ? plural(counts.error, 'error') : '',
    counts.warn ? plural(counts.warn, 'warning') : '',
    counts.skip ? `${counts.skip} skipped` : '',
    counts.waived ? `${counts.waived} waived` : '',
  ].filter(Boolean);
  lines.push(`gate: ${pass ? 'PASS' : 'FAIL'} — ${plural(counts.total, 'check')}: ${tally.join(', ')}`);
  for (const r of reasons) lines.push(`  ✗ ${r}`);
  for (const { point, waiver } of waived) {
    lines.push(`  waived: ${point.description} — ${waiver.justification} [${describeWaiver(waiver)}]`);
  }
  for (const w of expired)
    lines.push(`  expired waiver: ${describeWaiver(w)} expired ${w.expires}; it no longer waives anything`);
  for (const w of unused) lines.push(`  unused waiver: ${describeWaiver(w)} matched nothing; remove it`);

  return {
    pass,
    reasons,
    counts,
    waived,
    expiredWaivers: expired,
    unusedWaivers: unused,
    points: parsed.points,
    text: `${lines.join('\n')}\n`,
  };
}
