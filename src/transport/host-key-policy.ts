/**
 * Host-key policy with its I/O: reading the known_hosts files, deciding on a
 * presented key, and recording a new one with `acceptNew`. The file format
 * and matching are known-hosts.ts (pure). As OpenSSH's
 * StrictHostKeyChecking=accept-new: unknown keys are refused unless
 * `acceptNew`, a changed key (or a key of a new type for a known host) is
 * always refused, with the command that fixes it when the change is expected.
 */

import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname } from 'node:path';
import type { ServerHostKeyAlgorithm } from 'ssh2';
import { expandTilde } from '../inventory/ssh.js';
import { errorMessage } from '../util/errors.js';
import {
  fingerprintSha256,
  formatKnownHostsLine,
  type KnownHostEntry,
  keyTypeOfBlob,
  knownHostsName,
  knownKeyTypes,
  matchHostKey,
  parseKnownHosts,
} from './known-hosts.js';
import { quoteArg } from './quote.js';
import { TransportError } from './types.js';

/** A known_hosts path as written in configs and options (`~/…`), made absolute. */
export function expandHome(path: string): string {
  return expandTilde(path, homedir());
}

/** Every entry of the given known_hosts files; a missing file is no entry, an unreadable one a log line. */
export function loadKnownHosts(files: readonly string[], log: (msg: string) => void): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  const notes: string[] = [];
  for (const f of files) {
    const file = expandHome(f);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') log(`cannot read ${file}: ${errorMessage(e)}`);
      continue;
    }
    entries.push(...parseKnownHosts(text, file, notes));
  }
  for (const n of notes) log(n);
  return entries;
}

/** Host key algorithms ssh2 offers by default, most preferred first. */
const DEFAULT_HOST_KEY_ALGOS: ServerHostKeyAlgorithm[] = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
];

/** Which host key algorithms can be verified with a known_hosts key of this type. */
function algosForKeyType(type: string): ServerHostKeyAlgorithm[] {
  if (type === 'ssh-rsa') return ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];
  return DEFAULT_HOST_KEY_ALGOS.filter((a) => a === type);
}

/**
 * The algorithms to offer, those known_hosts can verify first: otherwise the
 * server may present a key type we have no entry for and look "unknown".
 */
export function preferredHostKeyAlgos(
  known: readonly KnownHostEntry[],
  hostname: string,
  port: number,
): ServerHostKeyAlgorithm[] {
  const knownTypes = knownKeyTypes(known, hostname, port);
  return [...new Set([...knownTypes.flatMap(algosForKeyType), ...DEFAULT_HOST_KEY_ALGOS])];
}

export interface HostKeyContext {
  /** Inventory name, for messages and errors. */
  host: string;
  hostname: string;
  port: number;
  /** The known_hosts files of this endpoint; the first one receives accepted keys. */
  knownHostsFiles: readonly string[];
  acceptNew: boolean;
  log: (msg: string) => void;
}

/** The known_hosts decision for one presented key: undefined to accept it, else why it is refused. */
export function verifyHostKey(
  ctx: HostKeyContext,
  key: Buffer,
  entries: readonly KnownHostEntry[],
): TransportError | undefined {
  const { host, hostname, port } = ctx;
  const type = keyTypeOfBlob(key) ?? 'unknown';
  const fp = fingerprintSha256(key);
  const name = knownHostsName(hostname, port);
  const m = matchHostKey(entries, hostname, port, type, key);
  const files = ctx.knownHostsFiles.map(expandHome);
  const keyscan = `ssh-keyscan ${port === 22 ? '' : `-p ${port} `}-t ${type} ${quoteArg(hostname)} >> ${files[0] ?? '~/.ssh/known_hosts'}`;
  switch (m.status) {
    case 'match':
      return undefined;
    case 'revoked':
      return new TransportError(
        'hostkey-mismatch',
        `REVOKED HOST KEY for ${name} (${host}): the server presented ${type} ${fp}, ` +
          `which is marked @revoked in ${m.file}:${m.line}. Refusing to connect.`,
        host,
      );
    case 'mismatch': {
      const removeHint = `ssh-keygen -R ${quoteArg(name)} -f ${quoteArg(m.file ?? '~/.ssh/known_hosts')}`;
      return new TransportError(
        'hostkey-mismatch',
        `WARNING: HOST KEY FOR ${name} (${host}) HAS CHANGED! ` +
          `known_hosts expects ${type} ${m.expectedFingerprint} (${m.file}:${m.line}) ` +
          `but the server presented ${type} ${fp}. ` +
          'Someone could be intercepting the connection (man-in-the-middle), or the host was reinstalled. ' +
          `Refusing to connect. If the change is expected, remove the old key with: ${removeHint}`,
        host,
      );
    }
    case 'unknown': {
      if (m.knownTypes?.length) {
        // Known host, key of another type: OpenSSH would not pick it silently, and a changed
        // key is never accepted, so --accept-new does not record it either.
        return new TransportError(
          'hostkey-mismatch',
          `WARNING: HOST KEY FOR ${name} (${host}) HAS CHANGED TYPE! known_hosts has ` +
            `${m.knownTypes.join(', ')} keys for it, but the server presented ${type} ${fp}. ` +
            'Someone could be intercepting the connection (man-in-the-middle), or the host was reinstalled. ' +
            `Refusing to connect${ctx.acceptNew ? ' (--accept-new never takes a key for a known host)' : ''}. ` +
            `If the change is expected, check the fingerprint and add the new key with: ${keyscan}`,
          host,
        );
      }
      if (ctx.acceptNew) {
        recordHostKey(files[0], name, hostname, port, key, ctx.log);
        return undefined;
      }
      return new TransportError(
        'hostkey-unknown',
        `host key for ${name} (${host}) is not in known_hosts: the server presented ${type} ${fp}. ` +
          `Check the fingerprint, then rerun with --accept-new, or add it with: ${keyscan}` +
          (files.length ? ` (searched: ${files.join(', ')})` : ''),
        host,
      );
    }
  }
}

/** Append an accepted key to `file` as OpenSSH would; failing to record does not fail the connection. */
function recordHostKey(
  file: string | undefined,
  name: string,
  hostname: string,
  port: number,
  key: Buffer,
  log: (msg: string) => void,
): void {
  const what = `accepted new host key for ${name}: ${keyTypeOfBlob(key) ?? 'unknown'} ${fingerprintSha256(key)}`;
  if (!file) {
    log(`${what} (no known_hosts file to record it in)`);
    return;
  }
  try {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    let prefix = '';
    try {
      const existing = readFileSync(file);
      // A file whose last line has no newline would otherwise swallow ours.
      if (existing.length > 0 && existing[existing.length - 1] !== 0x0a) prefix = '\n';
    } catch {
      // new file
    }
    appendFileSync(file, `${prefix}${formatKnownHostsLine(hostname, port, key)}\n`, { mode: 0o600 });
    log(`${what} (added to ${file})`);
  } catch (e) {
    log(`${what}, but could not add it to ${file}: ${errorMessage(e)}`);
  }
}
