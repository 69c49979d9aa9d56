/**
 * Probe containers: the only things lxdcheck ever creates on a cluster.
 * They carry a recognisable name and, set at launch, the config key
 * PROBE_MARK, so `lxdcheck cleanup` can find what a crashed run left behind
 * and never touches a container it did not create (a user's
 * `lxdcheck-probe-prod` has the name but not the mark).
 */
import { randomBytes } from 'node:crypto';
import { clientOf, configuredClient, type LxdClient } from '../facts/daemon.js';
import type { HostSpec, Inventory } from '../inventory/types.js';
import type { ExecResult, Transport } from '../transport/types.js';

export const PROBE_PREFIX = 'lxdcheck-probe-';

export function probeName(): string {
  return `${PROBE_PREFIX}${randomBytes(3).toString('hex')}`;
}

/** Set on every probe at launch; its value says when and by whom. */
export const PROBE_MARK = 'user.lxdcheck.probe';

/** Exactly the names probeName() makes. */
export function isProbeName(name: string): boolean {
  return /^lxdcheck-probe-[0-9a-f]{6}$/.test(name);
}

/** `lxc launch IMAGE NAME` with the probe mark set at creation. */
export function launchArgv(lxc: string, image: string, name: string): string[] {
  return [lxc, 'launch', image, name, '--config', `${PROBE_MARK}=${new Date().toISOString()}`];
}

/** Whether an `lxc list --format json` entry is one of lxdcheck's probes: the name and the mark. */
export function isMarkedProbe(entry: unknown): boolean {
  if (typeof entry !== 'object' || entry === null) return false;
  const c = entry as { name?: unknown; config?: unknown; expanded_config?: unknown };
  if (typeof c.name !== 'string' || !isProbeName(c.name)) return false;
  const marked = (cfg: unknown) =>
    typeof cfg === 'object' &&
    cfg !== null &&
    typeof (cfg as Record<string, unknown>)[PROBE_MARK] === 'string';
  return marked(c.config) || marked(c.expanded_config);
}

export class ProbeListError extends Error {}

/** The client for a host when the inventory names its daemon (or the cluster's lxd:), else lxc. */
export function lxcOf(inv: Inventory, host?: HostSpec): LxdClient {
  if (host) return configuredClient(inv, host) ?? 'lxc';
  return inv.cluster.lxdCommand ?? (inv.cluster.daemon ? clientOf(inv.cluster.daemon) : 'lxc');
}

/** Prints `CLIENT COUNT` per installed client (COUNT `-` when its list fails). */
const DETECT_CLIENTS =
  'for c in lxc incus; do if command -v "$c" >/dev/null 2>&1; then n=$(timeout 15 "$c" list --format csv -c n 2>/dev/null) && printf \'%s %s\\n\' "$c" "$(printf \'%s\' "$n" | grep -c .)" || echo "$c -"; fi; done';

/**
 * The client a scenario uses on a host: the one the inventory names, else the one
 * installed; with both, the one whose daemon holds containers (lxc on a tie), as
 * the read-only run judges it.
 */
export async function clientFor(t: Transport, inv: Inventory, host: HostSpec): Promise<LxdClient> {
  const named = configuredClient(inv, host);
  if (named) return named;
  const r = await on(t, ['sh', '-c', DETECT_CLIENTS], 40_000);
  const found = r.stdout
    .split('\n')
    .map((l) => /^(lxc|incus) (\d+|-)$/.exec(l.trim()))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ client: m[1] as LxdClient, count: m[2] === '-' ? -1 : Number(m[2]) }));
  const best = [...found].sort((a, b) => Math.sign(b.count) - Math.sign(a.count))[0];
  return best?.client ?? 'lxc';
}

/** Run an argv on a host, bounded; never throws (a transport error becomes exit null with the message). */
export async function on(
  t: Transport,
  argv: string[],
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<ExecResult> {
  try {
    return await t.exec({ argv }, { timeoutMs, ...(signal ? { signal } : {}) });
  } catch (e) {
    return {
      stdout: '',
      stderr: e instanceof Error ? e.message : String(e),
      exitCode: null,
      timedOut: false,
      durationMs: 0,
    };
  }
}

/** `lxc image list` as JSON: the images a probe can be launched from. */
export function imageListArgv(inv: Inventory, client: string = lxcOf(inv)): string[] {
  return [client, 'image', 'list', '--format', 'json'];
}

/**
 * The image a probe is launched from when none is named: the host's first local image (its first
 * alias, else its fingerprint). `image` is undefined when there is none or the list cannot be read;
 * `result` is the list command's answer, for evidence.
 */
export async function firstImage(
  t: Transport,
  inv: Inventory,
  opts: { timeoutMs: number; signal?: AbortSignal; client?: string },
): Promise<{ image?: string; result: ExecResult }> {
  const result = await on(t, imageListArgv(inv, opts.client), opts.timeoutMs, opts.signal);
  if (result.exitCode !== 0) return { result };
  try {
    const list = JSON.parse(result.stdout) as { fingerprint: string; aliases?: { name: string }[] }[];
    const image = list[0]?.aliases?.[0]?.name ?? list[0]?.fingerprint;
    return image ? { image, result } : { result };
  } catch {
    return { result };
  }
}

/**
 * Names of lxdcheck's marked probe containers on a host. Throws
 * ProbeListError when the list cannot be read: "none" must mean none.
 */
export async function listProbes(
  t: Transport,
  inv: Inventory,
  client: string = lxcOf(inv),
): Promise<string[]> {
  const r = await on(t, [client, 'list', '--format', 'json'], 30_000);
  if (r.exitCode !== 0) {
    const why = r.timedOut
      ? 'timed out'
      : (r.stderr || r.stdout).trim().split('\n').pop() || `exit ${r.exitCode}`;
    throw new ProbeListError(`${client} list failed: ${why}`);
  }
  let list: unknown;
  try {
    list = JSON.parse(r.stdout);
  } catch {
    throw new ProbeListError(`${client} list did not answer JSON`);
  }
  if (!Array.isArray(list)) throw new ProbeListError(`${client} list did not answer a JSON list`);
  return list.filter(isMarkedProbe).map((c) => (c as { name: string }).name);
}

/** Delete probe containers, force (running ones too). Returns what was removed and what failed. */
export async function deleteProbes(
  t: Transport,
  inv: Inventory,
  names: readonly string[],
  client: string = lxcOf(inv),
): Promise<{ removed: string[]; failed: string[] }> {
  const removed: string[] = [];
  const failed: string[] = [];
  for (const n of names) {
    if (!isProbeName(n)) continue;
    const r = await on(t, [client, 'delete', '--force', n], 60_000);
    if (r.exitCode === 0 || /not found/i.test(r.stderr)) removed.push(n);
    else failed.push(`${n}: ${r.stderr.trim() || `exit ${r.exitCode}`}`);
  }
  return { removed, failed };
}
