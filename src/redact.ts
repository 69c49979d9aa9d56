/**
 * Secret redaction of free text: every layer that lets command output out of
 * lxdcheck (a section's scrub, a bundle, a reporter, an error message) passes
 * it through redactSecrets. It lives below every layer that needs it.
 */
export const REDACTED = '<redacted>';
export const PRIVATE_KEY_REDACTED = '<private key redacted>';

/**
 * Private key blocks: PEM/OpenSSH (`-----BEGIN [X ]PRIVATE KEY-----`) and PGP
 * (`-----BEGIN PGP PRIVATE KEY BLOCK-----`), including a block cut off by
 * excerpt truncation (no END line), and one inside a JSON string.
 */
const PRIVATE_KEY_BLOCK =
  /-----BEGIN ([A-Z0-9]+ )*PRIVATE KEY( BLOCK)?-----[\s\S]*?(?:-----END ([A-Z0-9]+ )*PRIVATE KEY( BLOCK)?-----|$(?![\s\S]))/g;

/** What makes a key name secret: the word anywhere in it (`AWS_SECRET_ACCESS_KEY`, `DB_PASSWORD_2`). */
const SECRET_WORD =
  'password|passwd|passphrase|secret|token|psk|private_?key|privatekey|preshared_?key|api_?key|access_?key|credential|auth_?key';

/** JSON `"any.key.with_password": "value"` (lxc list, lxc config show --format json). */
const JSON_SECRET = new RegExp(
  `("[^"\\n]{0,200}(?:${SECRET_WORD})[^"\\n]{0,200}"[ \\t]*:[ \\t]*)"(?!<redacted>")(?:[^"\\\\\\n]|\\\\.){0,100000}"`,
  'gi',
);

/**
 * JSON values of container keys that carry user data: `environment.*`
 * (often credentials), `cloud-init.*` and `user.*` (user-data, passwords).
 */
const JSON_USER_DATA =
  /("(?:environment|cloud-init|user)\.[^"\n]{1,200}"[ \t]*:[ \t]*)"(?!<redacted>")(?:[^"\\\n]|\\.){0,100000}"/gi;

/** peervpn `psk <value>` (also `psk=value`, grep-style `file:3:psk value`, a commented-out `#psk old`): the rest of the line goes. */
const PSK_LINE = /(^|[\s:;"'#])(psk)(?:[ \t]*[=:][ \t]*|[ \t]+)(?!<redacted>)(?=\S)[^\n]*/gim;

/** `password=...`, `trust_password: ...`, `AWS_SECRET_ACCESS_KEY=...`, `PrivateKey = ...` key/value pairs. */
const KEY_VALUE = new RegExp(
  // The match starts at the secret word (the rest of the key stays outside it): linear on long words.
  `((?:${SECRET_WORD})[\\w.-]{0,200})([ \\t]*[=:][ \\t]*)(?!<redacted>)("[^"\\n]*"?|'[^'\\n]*'?|[^\\s,;&"']+)`,
  'gi',
);

/** `--password V`, `--db-token V`, `-password V` on a command line (the `=` form is KEY_VALUE). */
const OPTION_VALUE = new RegExp(
  // The lookbehind (an option dash before the word) runs only where a secret word matched.
  `((?:${SECRET_WORD})(?<=\\s--?[\\w-]{0,100}(?:${SECRET_WORD}))[\\w-]{0,100})([ \\t]+)(?!<redacted>)(?!-)("[^"\\n]*"?|'[^'\\n]*'?|\\S+)`,
  'gi',
);

/** `lxc config set core.trust_password VALUE`: the value follows after whitespace. */
const TRUST_PASSWORD_ARG = /(\btrust_password)([ \t]+)(?!<redacted>)("[^"\n]*"?|'[^'\n]*'?|[^\s,;&]+)/gi;

/** `sshpass -p V`, `mysql -pV`, `mysqldump -p V`, `redis-cli -a V` (a password in a short option). */
const SHORT_PASSWORD =
  /(\b(?:sshpass|mysql\w*|mariadb\w*)\b[^\n]{0,2000}?[ \t]-p)([ \t]*)(?!<redacted>)(?=[^\s-])("[^"\n]*"?|'[^'\n]*'?|\S+)|(\bredis-cli\b[^\n]{0,2000}?[ \t]-a)([ \t]+)(?!<redacted>)(\S+)/g;

/** `Authorization: Bearer X`, `Bearer X`, `Authorization: Basic X`. */
const AUTH_HEADER =
  /(\bauthorization[ \t]*[:=][ \t]*(?:(?:bearer|basic|token|digest)[ \t]+)?)(?!<redacted>)(?!(?:bearer|basic|token|digest)[ \t])[^\s"',;]+/gi;
const BEARER = /(\bbearer[ \t]+)(?!<redacted>)[A-Za-z0-9._~+/=-]{6,}/gi;

/** Credentials in URLs: `https://user:pass@host`. */
const URL_CREDENTIALS = /(\b[a-z][a-z0-9+.-]{1,20}:\/\/[^\s:/@]{1,200}:)(?!<redacted>@)[^\s@/]{1,500}@/gi;

/** Replace secrets in free text. Idempotent; never throws; linear in the input (bounded quantifiers). */
export function redactSecrets(text: string): string {
  if (!text) return text;
  return text
    .replace(PRIVATE_KEY_BLOCK, PRIVATE_KEY_REDACTED)
    .replace(JSON_USER_DATA, (_m, key: string) => `${key}"${REDACTED}"`)
    .replace(JSON_SECRET, (_m, key: string) => `${key}"${REDACTED}"`)
    .replace(PSK_LINE, (_m, lead: string, key: string) => `${lead}${key} ${REDACTED}`)
    .replace(AUTH_HEADER, (_m, key: string) => `${key}${REDACTED}`)
    .replace(BEARER, (_m, key: string) => `${key}${REDACTED}`)
    .replace(URL_CREDENTIALS, (_m, lead: string) => `${lead}${REDACTED}@`)
    .replace(SHORT_PASSWORD, (_m, a: string, sa: string, _v, b: string, sb: string) =>
      a !== undefined ? `${a}${sa}${REDACTED}` : `${b}${sb}${REDACTED}`,
    )
    .replace(OPTION_VALUE, (_m, key: string, sep: string) => `${key}${sep}${REDACTED}`)
    .replace(KEY_VALUE, (_m, key: string, sep: string) => `${key}${sep}${REDACTED}`)
    .replace(TRUST_PASSWORD_ARG, (_m, key: string, sep: string) => `${key}${sep}${REDACTED}`);
}
