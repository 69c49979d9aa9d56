/**
 * Secrets never leave lxdcheck through a reporter. Evidence excerpts are raw
 * command output (config files, `lxc config show`, journals), so every text a
 * reporter prints goes through redactSecrets first.
 */
import type { CheckResult, Diagnosis, Evidence, RootCause } from '../model.js';

export const REDACTED = '<redacted>';
export const PRIVATE_KEY_REDACTED = '<private key redacted>';

/** PEM private key blocks, including a block cut off by excerpt truncation (no END line). */
const PEM_PRIVATE_KEY =
  /-----BEGIN ([A-Z0-9]+ )*PRIVATE KEY-----[\s\S]*?(?:-----END ([A-Z0-9]+ )*PRIVATE KEY-----|$(?![\s\S]))/g;

/** peervpn `psk <value>` (also `psk=value`, and grep-style `file:3:psk value`). The rest of the line goes. */
const PSK_LINE = /(^|[\s:;"'])(psk)(?:[ \t]*[=:][ \t]*|[ \t]+)(?!<redacted>)[^\s#;][^\n]*/gim;

/** `password=...`, `trust_password: ...`, `passwd=...`, `secret=...`, `token: ...` key/value pairs. */
const KEY_VALUE =
  /(\b[\w.-]*(?:password|passwd|secret|token)\b)([ \t]*[=:][ \t]*)(?!<redacted>)("[^"\n]*"?|'[^'\n]*'?|[^\s,;&]+)/gi;

/** `lxc config set core.trust_password VALUE`: the value follows after whitespace. */
const TRUST_PASSWORD_ARG = /(\btrust_password)([ \t]+)(?!<redacted>)("[^"\n]*"?|'[^'\n]*'?|[^\s,;&]+)/gi;

/** Replace secrets in free text. Idempotent; never throws. */
export function redactSecrets(text: string): string {
  if (!text) return text;
  return text
    .replace(PEM_PRIVATE_KEY, PRIVATE_KEY_REDACTED)
    .replace(PSK_LINE, (_m, lead: string, key: string) => `${lead}${key} ${REDACTED}`)
    .replace(KEY_VALUE, (_m, key: string, sep: string) => `${key}${sep}${REDACTED}`)
    .replace(TRUST_PASSWORD_ARG, (_m, key: string, sep: string) => `${key}${sep}${REDACTED}`);
}

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
    rootCauses: d.rootCauses.map((c) => ({
      ...c,
      summary: redactSecrets(c.summary),
      fix: c.fix.map(redactSecrets),
    })),
    ...(d.timeline ? { timeline: d.timeline.map((t) => ({ ...t, summary: redactSecrets(t.summary) })) } : {}),
  };
}

export function redactRootCause(c: RootCause): RootCause {
  return { ...c, summary: redactSecrets(c.summary), fix: c.fix.map(redactSecrets) };
}
