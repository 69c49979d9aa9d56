/**
 * A real OpenSSH server on 127.0.0.1 for tests: `/usr/sbin/sshd -D -e -f CONFIG`
 * as the current user, with a generated ed25519 host key and user key in a
 * temp dir. Needs the Debian packages openssh-server and openssh-client.
 *
 *   const sshd = await startSshd();
 *   // ssh -i sshd.userKeyPath -o UserKnownHostsFile=sshd.knownHostsPath -p sshd.port 127.0.0.1
 *   await sshd.stop();
 */

import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

export interface SshdOptions {
  /** Extra sshd_config lines; they take precedence over the defaults (e.g. `LogLevel DEBUG1`). */
  extraConfig?: string[];
  /** More public keys (OpenSSH one-line format) to authorize besides the generated user key. */
  authorizedKeys?: string[];
  /** Reuse this user private key (path) instead of generating one; its `.pub` must exist next to it. */
  userKeyPath?: string;
}

export interface Sshd {
  port: number;
  /** The listening sshd's pid (per-connection sshd processes are its children: `pgrep -P pid`). */
  pid: number;
  /** The host public key line: `ssh-ed25519 AAAA... comment`. */
  hostKeyPub: string;
  /** The user's private key (unencrypted ed25519), authorized for the current user. */
  userKeyPath: string;
  /** A known_hosts file containing `[127.0.0.1]:PORT ssh-ed25519 ...`. */
  knownHostsPath: string;
  /** sshd's log (LogLevel VERBOSE). */
  logPath: string;
  /** The temp dir holding everything (removed by stop()). */
  dir: string;
  /** The current log text. */
  log(): string;
  /** How many `Accepted publickey` lines the log has (one per authenticated connection). */
  acceptedCount(): number;
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1 (bound then released). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Resolves when 127.0.0.1:port sends an SSH banner. */
async function waitForBanner(
  port: number,
  deadline: number,
  child: ChildProcess,
  logPath: string,
): Promise<void> {
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`sshd exited with ${child.exitCode}: ${safeRead(logPath)}`);
    }
    const ok = await new Promise<boolean>((resolve) => {
      const s = new Socket();
      const t = setTimeout(() => {
        s.destroy();
        resolve(false);
      }, 500);
      s.once('data', (d) => {
        clearTimeout(t);
        s.destroy();
        resolve(d.toString('latin1').startsWith('SSH-'));
      });
      s.once('error', () => {
        clearTimeout(t);
        resolve(false);
      });
      s.connect(port, '127.0.0.1');
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`sshd did not accept on port ${port}: ${safeRead(logPath)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function safeRead(p: string): string {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return '';
  }
}

export async function startSshd(opts: SshdOptions = {}): Promise<Sshd> {
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const dir = mkdtempSync(join(tmpdir(), 'lxdcheck-sshd-'));
  const hostKey = join(dir, 'ssh_host_ed25519_key');
  await execFileP('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'lxdcheck-test-host', '-f', hostKey]);
  let userKeyPath = opts.userKeyPath;
  if (!userKeyPath) {
    userKeyPath = join(dir, 'id_ed25519');
    await execFileP('ssh-keygen', [
      '-q',
      '-t',
      'ed25519',
      '-N',
      '',
      '-C',
      'lxdcheck-test-user',
      '-f',
      userKeyPath,
    ]);
  }
  const userPub = readFileSync(`${userKeyPath}.pub`, 'utf8').trim();
  const authorizedKeys = join(dir, 'authorized_keys');
  writeFileSync(authorizedKeys, [userPub, ...(opts.authorizedKeys ?? [])].join('\n') + '\n', { mode: 0o600 });
  const hostKeyPub = readFileSync(`${hostKey}.pub`, 'utf8').trim();
  const port = await freePort();
  const knownHostsPath = join(dir, 'known_hosts');
  const [type, b64] = hostKeyPub.split(' ');
  writeFileSync(knownHostsPath, `[127.0.0.1]:${port} ${type} ${b64}\n`, { mode: 0o600 });
  const logPath = join(dir, 'sshd.log');
  const config = join(dir, 'sshd_config');
  writeFileSync(
    config,
    [
      // sshd keeps the first value it reads for a keyword, so extra lines go first and win.
      ...(opts.extraConfig ?? []),
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKey}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${authorizedKeys}`,
      'StrictModes no',
      'UsePAM no',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PubkeyAuthentication yes',
      'PermitRootLogin prohibit-password',
      'AllowTcpForwarding yes',
      'LogLevel VERBOSE',
      '',
    ].join('\n'),
  );
  // -D: foreground; -E: log to our file (-e would send it to stderr instead).
  const child = spawn('/usr/sbin/sshd', ['-D', '-f', config, '-E', logPath], { stdio: 'ignore' });
  try {
    await waitForBanner(port, Date.now() + 10_000, child, logPath);
  } catch (e) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }

  let stopped: Promise<void> | undefined;
  return {
    port,
    pid: child.pid!,
    hostKeyPub,
    userKeyPath,
    knownHostsPath,
    logPath,
    dir,
    log: () => safeRead(logPath),
    acceptedCount: () => (safeRead(logPath).match(/Accepted publickey for /g) ?? []).length,
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        const done = () => {
          rmSync(dir, { recursive: true, force: true });
          resolve();
        };
        if (child.exitCode !== null || child.signalCode !== null) return done();
        child.once('exit', done);
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 2000).unref();
      });
      return stopped;
    },
  };
}
