/**
 * Which credentials to offer an SSH endpoint, in OpenSSH's order: its
 * IdentityFiles (or ~/.ssh/id_{ed25519,ecdsa,rsa}), then the agent unless
 * IdentitiesOnly. Keys that cannot be used become notes, which the auth
 * failure message repeats. Key material and passphrases are never logged.
 */

import { existsSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import type { AnyAuthMethod } from 'ssh2';
import ssh2 from 'ssh2';
import { expandHome } from './host-key-policy.js';

/** OpenSSH's default identity files: tried when present, silently skipped when not (as ssh does). */
export const OPENSSH_DEFAULT_IDENTITIES: readonly string[] = [
  'id_rsa',
  'id_ecdsa',
  'id_ecdsa_sk',
  'id_ed25519',
  'id_ed25519_sk',
  'id_xmss',
  'id_dsa',
];

/** The default keys lxdcheck itself looks for when an endpoint names none (those ssh2 can use). */
const FALLBACK_IDENTITIES = ['id_ed25519', 'id_ecdsa', 'id_rsa'];

export interface AuthMethod {
  /** For the failure message: `publickey FILE (TYPE)` or `agent SOCKET`. */
  label: string;
  method: AnyAuthMethod;
}

export interface AuthPlan {
  methods: AuthMethod[];
  /** Why keys were skipped, the agent not asked. */
  notes: string[];
}

export interface AuthEndpoint {
  user: string;
  identityFiles: readonly string[];
  identitiesOnly?: boolean;
}

/** Authentication methods for an endpoint, and notes on keys that could not be used. */
export function authPlan(ep: AuthEndpoint, agentSocket: string | undefined): AuthPlan {
  const methods: AuthMethod[] = [];
  const notes: string[] = [];
  const explicit = ep.identityFiles.length > 0;
  const files = explicit ? ep.identityFiles : FALLBACK_IDENTITIES.map((n) => join(homedir(), '.ssh', n));
  for (const f of files) {
    const file = expandHome(f);
    const key = readIdentity(file, explicit, notes);
    if (key)
      methods.push({
        label: `publickey ${file} (${key.type})`,
        method: { type: 'publickey', username: ep.user, key: key.buf },
      });
  }
  if (ep.identitiesOnly) {
    notes.push('IdentitiesOnly yes: ssh-agent keys are not offered');
  } else if (agentSocket && existsSync(agentSocket)) {
    methods.push({
      label: `agent ${agentSocket}`,
      method: { type: 'agent', username: ep.user, agent: agentSocket },
    });
  } else if (agentSocket) {
    notes.push(`ssh-agent socket ${agentSocket} does not exist`);
  } else {
    notes.push('no ssh-agent (SSH_AUTH_SOCK is not set)');
  }
  return { methods, notes };
}

/** One private key file, or undefined with a note saying why it is skipped. */
function readIdentity(
  file: string,
  explicit: boolean,
  notes: string[],
): { buf: Buffer; type: string } | undefined {
  let buf: Buffer;
  try {
    if (!statSync(file).isFile()) {
      notes.push(`IdentityFile ${file} is not a file; skipped`);
      return undefined;
    }
    buf = readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      // ssh tries its default files quietly; only a file the user named is worth a note.
      const isDefault =
        file.endsWith(`/.ssh/${basename(file)}`) && OPENSSH_DEFAULT_IDENTITIES.includes(basename(file));
      if (explicit && !isDefault) notes.push(`IdentityFile ${file} does not exist; skipped`);
    } else notes.push(`IdentityFile ${file} cannot be read (${code ?? 'error'}); skipped`);
    return undefined;
  }
  const parsed = ssh2.utils.parseKey(buf);
  if (parsed instanceof Error) {
    if (/encrypt|passphrase/i.test(parsed.message)) {
      notes.push(
        `IdentityFile ${file} is passphrase-protected; load it into ssh-agent (ssh-add ${file}) to use it`,
      );
    } else {
      notes.push(`IdentityFile ${file} is not a private key lxdcheck can read; skipped`);
    }
    return undefined;
  }
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!key?.isPrivateKey()) {
    notes.push(`IdentityFile ${file} holds no private key (a .pub file?); skipped`);
    return undefined;
  }
  return { buf, type: key.type };
}
