/** system: the host's name, uptime, and how busy it was while it answered (load, CPUs). */
import type { HostFacts, HostLoad } from '../host-facts.js';
import { okOutput } from '../host-facts.js';
import { parseProcUptime } from '../parsers/system.js';
import type { Section } from '../script.js';
import type { RawOutput } from '../types.js';

export const HOSTNAME = 'hostname';
export const UPTIME = 'uptime';
/** /proc/loadavg and nproc, read after the rest of stage one. */
export const LOAD = 'load';

export function systemSections(): Section[] {
  return [
    { name: HOSTNAME, shell: 'hostname', timeoutSeconds: 5 },
    { name: UPTIME, shell: 'cat /proc/uptime', timeoutSeconds: 5 },
  ];
}

/** After the rest of stage one, so it tells how busy the host was while it answered (and pinged). */
export function loadSection(): Section {
  return { name: LOAD, shell: 'cat /proc/loadavg && nproc', timeoutSeconds: 5, wrapTimeout: false };
}

/** `cat /proc/loadavg && nproc`. */
export function parseLoad(text: string): HostLoad | null {
  const m = /^([\d.]+) ([\d.]+) ([\d.]+) \S+ \S+\s*\n\s*(\d+)\s*$/.exec(text.trim());
  if (!m) return null;
  const cpus = Number(m[4]);
  return cpus > 0 ? { load1: Number(m[1]), load5: Number(m[2]), load15: Number(m[3]), cpus } : null;
}

export function systemFacts(
  raw: Record<string, RawOutput>,
): Pick<HostFacts, 'hostname' | 'uptimeSeconds' | 'load'> {
  const uptime = okOutput(raw, UPTIME);
  const load = okOutput(raw, LOAD);
  return {
    hostname: okOutput(raw, HOSTNAME)?.trim() || null,
    uptimeSeconds: uptime !== null ? parseProcUptime(uptime) : null,
    load: load !== null ? parseLoad(load) : null,
  };
}
