/**
 * OpenSSH's `%` tokens where `ssh -G` leaves them unexpanded: IdentityFile
 * (expanded here as ssh does when it loads keys) and ProxyCommand (checked
 * here, %k filled in; the rest is expanded when the transport runs it, see
 * fillProxyCommand in ssh.ts). An unknown token is an error, as in ssh.
 */
import { createHash } from 'node:crypto';
import { expandTilde, SshConfigProblem } from './ssh.js';

/** What the local side contributes: the environment, passwd home, user, host name and uid. */
export interface LocalTokens {
  env: NodeJS.ProcessEnv;
  /** The passwd home directory: what ssh expands `~` and `%d` to. */
  pwHome: string;
  localUser: string;
  localHost: string;
  uid: number;
}

export interface IdentityTokens {
  /** %C is sha1(%l%h%p%r) (OpenSSH 9.2). */
  hostname: string;
  user: string;
  port: number;
  alias: string;
  hostKeyAlias?: string;
}

/**
 * Expand an IdentityFile as ssh does when it loads keys: `~` (the passwd
 * home), then `${VAR}` (an unset variable is an error), then the `%` tokens
 * (an unknown token is an error, as in ssh).
 */
export function expandIdentityFile(path: string, t: IdentityTokens, o: LocalTokens): string {
  let p = expandTilde(path, o.pwHome);
  p = p.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_all, name: string) => {
    const v = o.env[name];
    if (v === undefined) {
      throw new SshConfigProblem(`IdentityFile ${path}: environment variable \${${name}} is not set`);
    }
    return v;
  });
  const local = o.localHost;
  const tokens: Record<string, string> = {
    C: createHash('sha1').update(`${local}${t.hostname}${t.port}${t.user}`).digest('hex'),
    L: local.split('.')[0] ?? local,
    i: String(o.uid),
    k: t.hostKeyAlias ?? t.alias,
    l: local,
    n: t.alias,
    p: String(t.port),
    d: o.pwHome,
    h: t.hostname,
    r: t.user,
    u: o.localUser,
  };
  return p.replace(/%(.?)/g, (_all, ch: string) => {
    if (ch === '%') return '%';
    const v = tokens[ch];
    if (v === undefined)
      throw new SshConfigProblem(`IdentityFile ${path}: unknown token %${ch} (ssh refuses it too)`);
    return v;
  });
}

/** ProxyCommand accepts %% %h %k %n %p %r (ssh_config(5)); %k is filled in here, the rest by the transport. */
export function checkProxyCommand(cmd: string, keyAlias: string): string {
  return cmd.replace(/%(.?)/g, (all, ch: string) => {
    if ('%hnpr'.includes(ch) && ch !== '') return all;
    if (ch === 'k') return keyAlias.replace(/%/g, '%%');
    throw new SshConfigProblem(`ProxyCommand ${cmd}: unknown token %${ch} (ssh refuses it too)`);
  });
}
