/**
 * The kernel's IPv4 neighbour (ARP) table is one for the whole machine: the
 * entries of every network namespace count towards its gc_thresh3. A 30-host
 * lab needs about hosts × (3 × hosts + containers) entries (each host's
 * bridge, overlay and underlay peers, and the containers): ~3600 against the
 * default 1024. Past it the kernel logs "neighbor table overflow!" and drops
 * new entries, so bridges stop reaching each other: every `lxdcheck run` on
 * a healthy 30-host lab reported hundreds of failed mesh pings (issue 13).
 * The lab raises the thresholds while it is up and puts them back on down.
 */
import { readFile, writeFile } from 'node:fs/promises';

const DIR = '/proc/sys/net/ipv4/neigh/default';

export interface NeighThresholds {
  gc_thresh2: number;
  gc_thresh3: number;
}

/** Neighbour entries a lab of this size may hold at once, with room to spare. */
export function neighNeeded(hosts: number, containers: number): number {
  return 2 * hosts * (3 * hosts + containers);
}

export async function readNeighThresholds(): Promise<NeighThresholds> {
  const read = async (k: string) => Number((await readFile(`${DIR}/${k}`, 'utf8')).trim());
  return { gc_thresh2: await read('gc_thresh2'), gc_thresh3: await read('gc_thresh3') };
}

/** Raise the thresholds to fit `needed` (never lower them); the old values when it did, else null. */
export async function raiseNeighThresholds(needed: number): Promise<NeighThresholds | null> {
  const old = await readNeighThresholds();
  if (old.gc_thresh3 >= needed) return null;
  // thresh2 (soft) first below thresh3 (hard): the kernel keeps thresh2 <= thresh3 meaningful.
  await writeFile(`${DIR}/gc_thresh3`, String(needed));
  await writeFile(`${DIR}/gc_thresh2`, String(Math.max(old.gc_thresh2, Math.floor(needed / 2))));
  return old;
}

/** Put back what raiseNeighThresholds changed, unless someone changed them since. */
export async function restoreNeighThresholds(old: NeighThresholds, set: number): Promise<boolean> {
  const now = await readNeighThresholds();
  if (now.gc_thresh3 !== set) return false;
  await writeFile(`${DIR}/gc_thresh2`, String(old.gc_thresh2));
  await writeFile(`${DIR}/gc_thresh3`, String(old.gc_thresh3));
  return true;
}
