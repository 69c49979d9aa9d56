/**
 * Probe containers: the only things lxdcheck ever creates on a cluster.
 * They carry a recognisable prefix so `lxdcheck cleanup` can always find
 * what a crashed run left behind.
 */
import { randomBytes } from 'node:crypto';
import type { Inventory } from '../inventory/types.js';
import type { ExecResult, Transport } from '../transport/types.js';

export const PROBE_PREFIX = 'lxdcheck-probe-';

export function probeName(): string {
  return `${PROBE_PREFIX}${randomBytes(3).toString('hex')}`;
}

export function isProbeName(name: string): boolean {
  return name.startsWith(PROBE_PREFIX) && /^[a-z0-9-]+$/.test(name);
}

export function lxcOf(inv: Inventory): string {
  return inv.cluster.lxdCommand ?? 'lxc';
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

/** Names of probe containers on a host (from `lxc list --format json`). */
export async function listProbes(t: Transport, inv: Inventory): Promise<string[]> {
  const r = await on(t, [lxcOf(inv), 'list', '--format', 'json'], 30_000);
  if (r.exitCode !== 0) return [];
  try {
    const list = JSON.parse(r.stdout) as { name?: string }[];
    return list.map((c) => c.name ?? '').filter(isProbeName);
  } catch {
    return [];
  }
}

/** Delete probe containers, force (running ones too). Returns what was removed and what failed. */
export async function deleteProbes(
  t: Transport,
  inv: Inventory,
  names: readonly string[],
): Promise<{ removed: string[]; failed: string[] }> {
  const removed: string[] = [];
  const failed: string[] = [];
  for (const n of names) {
    if (!isProbeName(n)) continue;
    const r = await on(t, [lxcOf(inv), 'delete', '--force', n], 60_000);
    if (r.exitCode === 0 || /not found/i.test(r.stderr)) removed.push(n);
    else failed.push(`${n}: ${r.stderr.trim() || `exit ${r.exitCode}`}`);
  }
  return { removed, failed };
}
