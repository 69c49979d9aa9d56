/**
 * GitHub Actions workflow-command annotations (`::error title=…::message`) for
 * failed, errored and warning results. Escaping follows GitHub's documented
 * rules: data escapes `%`, `\r`, `\n`; property values also escape `:` and `,`.
 */
import type { CheckResult, RunEvent } from '../model.js';
import { subjectLabel } from '../model.js';
import { redactResult } from './redact.js';
import { cleanText } from './text.js';
import type { Reporter, Sink } from './types.js';

export function escapeGithubData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

export function escapeGithubProperty(s: string): string {
  return escapeGithubData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/**
 * One annotation line for a result, or null for results that need none (pass, skip).
 * A failure the diagnosis explains by another is a notice naming its cause, so the
 * pipeline page shows the root causes as the errors.
 */
export function githubAnnotation(result: CheckResult): string | null {
  const failed = result.status === 'fail' || result.status === 'error';
  const level =
    failed && result.causedBy !== undefined
      ? 'notice'
      : failed
        ? 'error'
        : result.status === 'warn'
          ? 'warning'
          : null;
  if (!level) return null;
  const r = redactResult(result);
  const label = subjectLabel(r.subject);
  const title = cleanText(label ? `${r.id} ${label}` : r.id).replace(/\s+/g, ' ');
  const lines = [cleanText(r.summary).trim()];
  if (r.status === 'error') lines[0] = `error: ${lines[0]}`;
  if (r.root) lines[0] = `root cause: ${lines[0]}`;
  if (r.causedBy !== undefined) lines[0] = `explained by ${r.causedBy}: ${lines[0]}`;
  for (const f of r.hint?.fix ?? []) lines.push(`fix: ${cleanText(f)}`);
  return `::${level} title=${escapeGithubProperty(title)}::${escapeGithubData(lines.join('\n'))}\n`;
}

export function createGithubAnnotationsReporter(sink: Sink): Reporter {
  let stopped = false;
  // Annotations wait for run-end, whose results know their causes; a run that dies flushes what it has.
  let pending: CheckResult[] = [];
  const flush = (list: readonly CheckResult[]) => {
    for (const r of list) {
      const line = githubAnnotation(r);
      if (line) sink.write(line);
    }
    pending = [];
  };
  return {
    onEvent(e: RunEvent) {
      if (e.type === 'result') {
        pending.push(e.result);
      } else if (e.type === 'run-end') {
        flush(e.results.length >= pending.length ? e.results : pending);
      }
      if (e.type === 'bail-out' && !stopped) {
        stopped = true;
        sink.write(`::error title=lxdcheck::${escapeGithubData(`bail out: ${cleanText(e.reason)}`)}\n`);
      } else if (e.type === 'run-end' && e.aborted && !stopped) {
        stopped = true;
        sink.write(`::error title=lxdcheck::${escapeGithubData(`run aborted: ${cleanText(e.aborted)}`)}\n`);
      }
    },
    async finish() {
      flush(pending);
      await sink.end();
    },
  };
}
