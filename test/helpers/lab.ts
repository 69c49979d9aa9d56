/**
 * Helpers for the lab e2e tests: why a test file must skip, one lab user at a
 * time across ava's worker processes, and plain commands on hosts/containers.
 */
import { existsSync } from 'node:fs';
import { run } from '../../src/lab/exec.js';
import { containerExec, hostExec, type LabOptions, missingTools } from '../../src/lab/index.js';
import { releasePidLock, waitForPidLock } from '../../src/util/pid-lock.js';

/** null when the lab can run here, else a clear reason to skip. */
export async function labSkipReason(
  opts: Partial<LabOptions> & Pick<LabOptions, 'lxd'>,
): Promise<string | null> {
  if (process.platform !== 'linux') return 'the lab needs Linux';
  if (process.getuid?.() !== 0) return 'the lab needs root (run the e2e tests as root)';
  const missing = await missingTools({ hosts: 3, overlay: 'tinc', containers: 3, ...opts });
  if (missing.length > 0) return `missing tools: ${missing.join(', ')} (run scripts/install-lab-deps.sh)`;
  if (!existsSync('/dev/net/tun')) return 'no /dev/net/tun';
  return null;
}

const TEST_LOCK = '/run/lxlab-test.lock';

/**
 * Hold the machine's lab for one test file (ava runs files in parallel processes). The lock's
 * form (a directory with a pid file) is what shell scripts wait on too (`[ -d LOCK ]`).
 */
export async function acquireLabForTests(timeoutMs = 1_200_000): Promise<void> {
  if (!(await waitForPidLock(TEST_LOCK, timeoutMs, 250)))
    throw new Error(`another test file holds ${TEST_LOCK}`);
}

export async function releaseLabForTests(): Promise<void> {
  releasePidLock(TEST_LOCK);
}

/** Run on a host; returns stdout, throws with stderr when it fails. */
export async function hx(host: string, ...argv: string[]): Promise<string> {
  const r = await hostExec(host, argv);
  if (r.exitCode !== 0) throw new Error(`${host}: ${argv.join(' ')}: exit ${r.exitCode}: ${r.stderr}`);
  return r.stdout;
}

/** Exit code of a command on a host. */
export async function hxCode(host: string, ...argv: string[]): Promise<number | null> {
  return (await hostExec(host, argv)).exitCode;
}

export async function cx(container: string, ...argv: string[]) {
  return containerExec(container, argv);
}

/** `ping` from a host: true when a reply came. */
export async function hostPing(host: string, addr: string, ...extra: string[]): Promise<boolean> {
  return (await hxCode(host, 'ping', '-n', '-c', '2', '-i', '0.2', '-W', '1', ...extra, addr)) === 0;
}

/** The interfaces `brctl show BRIDGE` lists on a host. */
export async function brctlPorts(host: string, bridge = 'lxdbr0'): Promise<string[]> {
  const out = await hx(host, 'brctl', 'show', bridge);
  return out
    .split('\n')
    .slice(1)
    .map((l) => l.trim().split(/\s+/).pop() ?? '')
    .filter((x) => x && x !== bridge && !/^8000\./.test(x) && x !== 'no' && x !== 'yes');
}

/** The root namespace's default gateway, read now. */
export async function rootDefaultGateway(): Promise<string | null> {
  const r = await run(['ip', '-4', '-j', 'route', 'show', 'default']);
  return (JSON.parse(r.stdout || '[]') as { gateway?: string }[])[0]?.gateway ?? null;
}

/** System ssh from the root namespace, key auth and pinned host keys only. */
export function sshArgv(addr: string, ...cmd: string[]): string[] {
  return [
    'ssh',
    '-i',
    '/run/lxlab/id_ed25519',
    '-o',
    'UserKnownHostsFile=/run/lxlab/known_hosts',
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    'BatchMode=yes',
    '-o',
    'ConnectTimeout=5',
    '-F',
    '/dev/null',
    `root@${addr}`,
    ...cmd,
  ];
}
