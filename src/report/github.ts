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

/** One annotation line for a result, or null for results that need none (pass, skip). */
export function githubAnnotation(result: CheckResult): string | null {
  const level =
    result.status === 'fail' || result.status === 'error'
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
  for (const f of r.hint?.fix ?? []) lines.push(`fix: ${cleanText(f)}`);
  return `::${level} title=${escapeGithubProperty(title)}::${escapeGithubData(lines.join('\n'))}\n`;
}

export function createGithubAnnotationsReporter(sink: Sink): Reporter {
  let stopped = false;
  return {
    onEvent(e: RunEvent) {
      if (e.type === 'result') {
        const line = githubAnnotation(e.result);
        if (line) sink.write(line);
      } else if (e.type === 'bail-out' && !stopped) {
        stopped = true;
        sink.write(`::error title=lxdcheck::${escapeGithubData(`bail out: ${cleanText(e.reason)}`)}\n`);
      } else if (e.type === 'run-end' && e.aborted && !stopped) {
        stopped = true;
        sink.write(`::error title=lxdcheck::${escapeGithubData(`run aborted: ${cleanText(e.aborted)}`)}\n`);
      }
    },
    async finish() {
      await sink.end();
    },
  };
}
