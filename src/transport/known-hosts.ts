/**
 * OpenSSH known_hosts: parsing and matching, pure functions (no I/O).
 *
 * Supported: plain names and addresses, `[host]:port` for non-standard ports,
 * comma-separated pattern lists with `*`/`?` wildcards and `!` negation,
 * hashed entries (`|1|base64(salt)|base64(HMAC-SHA1(salt, name))`), and the
 * `@revoked` marker. `@cert-authority` lines are parsed but never used to
 * accept a key (we do not verify host certificates); a note says so.
 */

import { createHash, createHmac } from 'node:crypto';

export interface KnownHostEntry {
  file: string;
  /** 1-based line number in `file`. */
  line: number;
  marker?: 'revoked' | 'cert-authority';
  /** Plain entries: the comma-separated patterns, lowercased. */
  patterns?: string[];
  /** Hashed entries (`|1|salt|hash`). */
  hashed?: { salt: Buffer; hash: Buffer };
  keyType: string;
  keyBlob: Buffer;
}

export type HostKeyStatus = 'match' | 'mismatch' | 'unknown' | 'revoked';

export interface HostKeyMatch {
  status: HostKeyStatus;
  /** Where the matching (or conflicting, or revoking) entry is. */
  line?: number;
  file?: string;
  /** On mismatch: the fingerprint known_hosts expected for this key type. */
  expectedFingerprint?: string;
  /** Key types known_hosts holds for this host (any status), in file order. */
  knownTypes?: string[];
}

/** `SHA256:<base64 without padding>`, exactly as `ssh-keygen -l` and ssh print it. */
export function fingerprintSha256(blob: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(blob).digest('base64').replace(/=+$/, '');
}

/** The key type embedded in an SSH wire-format public key blob (its first string), or undefined. */
export function keyTypeOfBlob(blob: Buffer): string | undefined {
  if (blob.length < 4) return undefined;
  const len = blob.readUInt32BE(0);
  if (len === 0 || len > 64 || 4 + len > blob.length) return undefined;
  return blob.subarray(4, 4 + len).toString('latin1');
}

/** The name known_hosts uses for a host and port: `host`, or `[host]:port` when port is not 22. */
export function knownHostsName(host: string, port: number): string {
  const h = host.toLowerCase();
  return port === 22 ? h : `[${h}]:${port}`;
}

/** One known_hosts line as OpenSSH writes it: `name key-type base64`. */
export function formatKnownHostsLine(host: string, port: number, keyBlob: Buffer): string {
  const type = keyTypeOfBlob(keyBlob);
  if (!type) throw new Error('not an SSH public key blob');
  return `${knownHostsName(host, port)} ${type} ${keyBlob.toString('base64')}`;
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * Parse known_hosts text. Malformed lines are skipped; if `notes` is given, a
 * sentence per skipped or ignored line is pushed to it (file:line and why).
 */
export function parseKnownHosts(text: string, file: string, notes?: string[]): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const raw = lines[i]!.trim();
    if (raw === '' || raw.startsWith('#')) continue;
    const fields = raw.split(/[ \t]+/);
    let marker: KnownHostEntry['marker'];
    if (fields[0]?.startsWith('@')) {
      const m = fields.shift()!;
      if (m === '@revoked') marker = 'revoked';
      else if (m === '@cert-authority') marker = 'cert-authority';
      else {
        notes?.push(`${file}:${lineNo}: unknown marker ${m}; line ignored`);
        continue;
      }
    }
    const [hostField, keyType, keyB64] = fields;
    if (!hostField || !keyType || !keyB64 || !BASE64.test(keyB64)) {
      notes?.push(`${file}:${lineNo}: not a known_hosts entry (expected "hosts key-type base64"); ignored`);
      continue;
    }
    const keyBlob = Buffer.from(keyB64, 'base64');
    const embedded = keyTypeOfBlob(keyBlob);
    if (embedded !== keyType) {
      notes?.push(
        `${file}:${lineNo}: key type ${keyType} does not match the key data (${embedded ?? 'unreadable'}); ignored`,
      );
      continue;
    }
    if (marker === 'cert-authority') {
      notes?.push(
        `${file}:${lineNo}: @cert-authority entries are not supported (host certificates are not verified); ignored`,
      );
    }
    const entry: KnownHostEntry = { file, line: lineNo, keyType, keyBlob };
    if (marker) entry.marker = marker;
    if (hostField.startsWith('|')) {
      const parts = hostField.split('|');
      // ['', '1', salt, hash]
      if (parts.length !== 4 || parts[1] !== '1' || !parts[2] || !parts[3]) {
        notes?.push(`${file}:${lineNo}: unsupported hashed host format; ignored`);
        continue;
      }
      const salt = Buffer.from(parts[2], 'base64');
      const hash = Buffer.from(parts[3], 'base64');
      if (salt.length !== 20 || hash.length !== 20) {
        notes?.push(`${file}:${lineNo}: hashed host has a bad salt or hash length; ignored`);
        continue;
      }
      entry.hashed = { salt, hash };
    } else {
      entry.patterns = hostField
        .toLowerCase()
        .split(',')
        .filter((p) => p !== '');
    }
    entries.push(entry);
  }
  return entries;
}

/** OpenSSH `match_pattern`: `*` any run, `?` one character; whole-string match. */
function globMatch(text: string, pattern: string): boolean {
  let re = '^';
  for (const ch of pattern) {
    if (ch === '*') re += '.*';
    else if (ch === '?') re += '.';
    else re += ch.replace(/[\\^$.|+()[\]{}]/g, '\\$&');
  }
  return new RegExp(re + '$', 's').test(text);
}

/** Whether an entry's host field names `name` (a knownHostsName). Negated patterns veto. */
export function entryMatchesName(entry: KnownHostEntry, name: string): boolean {
  if (entry.hashed) {
    const h = createHmac('sha1', entry.hashed.salt).update(name).digest();
    return h.equals(entry.hashed.hash);
  }
  let positive = false;
  for (const p of entry.patterns ?? []) {
    if (p.startsWith('!')) {
      if (globMatch(name, p.slice(1))) return false;
    } else if (globMatch(name, p)) {
      positive = true;
    }
  }
  return positive;
}

/**
 * Decide whether `keyBlob` (of `keyType`) is the known key of host:port.
 * Order of precedence: revoked, match, mismatch (same key type, other key), unknown.
 * `@cert-authority` entries never match.
 */
export function matchHostKey(
  entries: readonly KnownHostEntry[],
  host: string,
  port: number,
  keyType: string,
  keyBlob: Buffer,
): HostKeyMatch {
  const name = knownHostsName(host, port);
  const forHost = entries.filter((e) => e.marker !== 'cert-authority' && entryMatchesName(e, name));
  const knownTypes = [...new Set(forHost.filter((e) => !e.marker).map((e) => e.keyType))];
  const revoked = forHost.find((e) => e.marker === 'revoked' && e.keyBlob.equals(keyBlob));
  if (revoked) return { status: 'revoked', file: revoked.file, line: revoked.line, knownTypes };
  const plain = forHost.filter((e) => !e.marker && e.keyType === keyType);
  const same = plain.find((e) => e.keyBlob.equals(keyBlob));
  if (same) return { status: 'match', file: same.file, line: same.line, knownTypes };
  const other = plain[0];
  if (other) {
    return {
      status: 'mismatch',
      file: other.file,
      line: other.line,
      expectedFingerprint: fingerprintSha256(other.keyBlob),
      knownTypes,
    };
  }
  return { status: 'unknown', knownTypes };
}

/** Key types known_hosts holds for host:port (not revoked, not CA), in file order. */
export function knownKeyTypes(entries: readonly KnownHostEntry[], host: string, port: number): string[] {
  const name = knownHostsName(host, port);
  const types = entries.filter((e) => !e.marker && entryMatchesName(e, name)).map((e) => e.keyType);
  return [...new Set(types)];
}
