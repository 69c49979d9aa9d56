/**
 * Running `ssh -G` and reading what it prints. It connects nowhere, but
 * `Match exec` in the user's config may run anything: so argv (never a
 * shell), its own process group, and a bound after which the group is killed.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { killProcessGroup } from '../util/process-group.js';
import { SshConfigProblem } from './ssh.js';

/** No OpenSSH client at the configured path: fall back to the library resolution. */
export class NoSshBinary extends Error {}

/** `ssh -G` output: lowercase keyword -> every value printed for it, in order. */
export type SshG = Map<string, string[]>;

/** Parse `ssh -G` output (`keyword value` per line; repeated keywords such as identityfile accumulate). */
export function parseSshG(text: string): SshG {
  const out: SshG = new Map();
  for (const line of text.split('\n')) {
    const m = /^(\S+)\s(.*)$/.exec(line.replace(/\r$/, ''));
    if (!m) continue;
    const key = m[1]!.toLowerCase();
    const list = out.get(key) ?? [];
    list.push(m[2]!);
    out.set(key, list);
  }
  return out;
}

/** The first value printed for `key` (the one that applies). */
export function one(g: SshG, key: string): string | undefined {
  return g.get(key)?.[0];
}

/** `ssh -G` stderr says why; keep its useful lines. */
function stderrText(stderr: string): string {
  return stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('Pseudo-terminal will not be allocated'))
    .join('; ');
}

/** Run `ssh ARGS` (no shell) in its own process group, killing the group after timeoutMs. */
export function runSsh(
  binary: string,
  args: string[],
  timeoutMs: number,
  env: NodeJS.ProcessEnv,
): Promise<string> {
  return new Promise((resolve, reject) => {
    let child: ChildProcess;
    try {
      child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env });
    } catch (e) {
      reject(e);
      return;
    }
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString('utf8');
    });
    child.stderr!.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString('utf8')).slice(-4000);
    });
    const timer = setTimeout(() => {
      timedOut = true;
      // The group: a `Match exec` command ssh started dies with it.
      killProcessGroup(child);
    }, timeoutMs);
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (e.code === 'ENOENT') reject(new NoSshBinary(`no OpenSSH client at ${binary}`));
      else reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const cmd = `${binary} ${args.join(' ')}`;
      if (timedOut) {
        reject(
          new SshConfigProblem(
            `${cmd} did not finish within ${timeoutMs} ms (a Match exec command in the SSH config that hangs?)`,
          ),
        );
      } else if (code !== 0) {
        reject(new SshConfigProblem(`${cmd} failed (exit ${code}): ${stderrText(stderr) || 'no message'}`));
      } else resolve(stdout);
    });
  });
}
