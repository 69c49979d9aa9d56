/** Small text helpers shared by the reporters. */
import { type CheckResult, type Evidence, type RootCause, type Subject, subjectLabel } from '../model.js';
import { plural } from '../util/plural.js';

/** `<id> <label>: <title>`, or `<id>: <title>` for cluster-wide results (no subject). */
export function describe(id: string, subject: Subject, title: string): string {
  const label = subjectLabel(subject);
  return label ? `${id} ${label}: ${title}` : `${id}: ${title}`;
}

export function describeResult(r: CheckResult): string {
  return describe(r.id, r.subject, r.title);
}

/** The host a result is filed under (the prober for pairs), or null for cluster-wide results. */
export function groupHost(subject: Subject): string | null {
  return subject.host ?? null;
}

/** Where an evidence command ran and how it ended: `on lxd2, exit 1` ('' when neither is known). */
export function evidenceWhere(ev: Evidence): string {
  return [ev.host ? `on ${ev.host}` : '', ev.exitCode === undefined ? '' : `exit ${ev.exitCode ?? 'none'}`]
    .filter(Boolean)
    .join(', ');
}

const ANSI = /\u001b(?:\[[0-?]*[ -/]*[@-~]|\][^\u0007\u001b]*(?:\u0007|\u001b\\)|[@-Z\\-_])/g;

/** Remove ANSI escapes; turn CRLF/CR into LF; replace other C0/C1 controls (except tab and LF) by U+FFFD. */
export function cleanText(s: string): string {
  return s
    .replace(ANSI, '')
    .replace(/\r\n?/g, '\n')
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '\uFFFD');
}

/** One line: controls and line breaks become single spaces. */
export function oneLine(s: string): string {
  return cleanText(s)
    .replace(/\s*\n\s*/g, ' ')
    .replace(/\t/g, ' ')
    .trim();
}

// Re-exported for the reporters and the TUI, which take their text helpers from here.

export function formatSeconds(ms: number): string {
  return `${(Math.max(0, ms) / 1000).toFixed(1)}s`;
}

/** `Found 2 problems on 1 host and cluster-wide, explaining 9 other failures`: the verdict over root causes. */
export function rootCauseVerdict(roots: readonly RootCause[]): string {
  const explained = roots.reduce((a, c) => a + c.explains.length, 0);
  const hosts = new Set(roots.map((c) => c.host ?? null));
  const at: string[] = [];
  const hostN = [...hosts].filter((h) => h !== null).length;
  if (hostN > 0) at.push(`on ${plural(hostN, 'host')}`);
  if (hosts.has(null)) at.push('cluster-wide');
  const why = explained > 0 ? `, explaining ${plural(explained, 'other failure')}` : '';
  return `Found ${plural(roots.length, 'problem')} ${at.join(' and ')}${why}`;
}
