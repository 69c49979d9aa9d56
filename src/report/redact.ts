/**
 * Secrets never leave lxdcheck through a reporter. Evidence excerpts are raw
 * command output (config files, `lxc config show`, journals), so every text a
 * reporter prints goes through redactSecrets first.
 */
import type { CheckResult, Diagnosis, Evidence, RootCause } from '../model.js';
import { redactSecrets } from '../redact.js';

function redactOpt(s: string | undefined): string | undefined {
  return s === undefined ? undefined : redactSecrets(s);
}

function redactEvidence(ev: Evidence): Evidence {
  const out: Evidence = { ...ev };
  if (ev.command !== undefined) out.command = redactSecrets(ev.command);
  if (ev.excerpt !== undefined) out.excerpt = redactSecrets(ev.excerpt);
  if (ev.note !== undefined) out.note = redactSecrets(ev.note);
  return out;
}

/** A copy of `r` with every free-text field passed through redactSecrets. */
export function redactResult(r: CheckResult): CheckResult {
  const out: CheckResult = {
    ...r,
    subject: { ...r.subject },
    title: redactSecrets(r.title),
    summary: redactSecrets(r.summary),
    evidence: r.evidence.map(redactEvidence),
  };
  if (r.expected !== undefined) out.expected = redactOpt(r.expected);
  if (r.actual !== undefined) out.actual = redactOpt(r.actual);
  if (r.hint) {
    out.hint = { ...r.hint };
    if (r.hint.why !== undefined) out.hint.why = redactSecrets(r.hint.why);
    if (r.hint.fix) out.hint.fix = r.hint.fix.map(redactSecrets);
  }
  return out;
}

/** A copy of a diagnosis with its summaries and fixes passed through redactSecrets. */
export function redactDiagnosis(d: Diagnosis): Diagnosis {
  return {
    ...d,
    rootCauses: d.rootCauses.map(redactRootCause),
    ...(d.timeline ? { timeline: d.timeline.map((t) => ({ ...t, summary: redactSecrets(t.summary) })) } : {}),
  };
}

export function redactRootCause(c: RootCause): RootCause {
  return { ...c, summary: redactSecrets(c.summary), fix: c.fix.map(redactSecrets) };
}
