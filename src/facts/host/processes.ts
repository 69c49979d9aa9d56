/** processes: every process with its real executable, the dnsmasq instances among them, and UDP listeners. */
import { redactSecrets } from '../../redact.js';
import type { HostFacts } from '../host-facts.js';
import { okOutput } from '../host-facts.js';
import { findDnsmasqInstances, parseProcesses } from '../parsers/ps.js';
import { parseSs } from '../parsers/ss.js';
import type { Section } from '../script.js';
import type { RawOutput } from '../types.js';

export const PS = 'ps';
export const SS_UDP = 'ss-udp';

export function processSections(): Section[] {
  return [
    // Command lines can carry passwords (`--password X`, `sshpass -p X`): redacted on arrival.
    // Each process's real executable too (`##EXE PID PATH`): argv[0] can claim to be dnsmasq.
    // lxdcheck_t (script.ts) bounds each command, as the wrapper does for plain sections.
    {
      name: PS,
      shell: `lxdcheck_t 5 ps -eo pid,comm,args; rc=$?; lxdcheck_t 5 sh -c 'ls -l /proc/[0-9]*/exe 2>/dev/null' | sed -n 's|^.* /proc/\\([0-9]*\\)/exe -> \\(/.*\\)$|##EXE \\1 \\2|p'; exit $rc`,
      timeoutSeconds: 5,
      wrapTimeout: false,
      scrub: redactSecrets,
    },
    { name: SS_UDP, shell: 'ss -H -ulnp', timeoutSeconds: 5 },
  ];
}

export function processFacts(
  raw: Record<string, RawOutput>,
): Pick<HostFacts, 'processes' | 'dnsmasq' | 'udpSockets'> {
  const ps = okOutput(raw, PS);
  const ss = okOutput(raw, SS_UDP);
  const processes = ps !== null ? parseProcesses(ps) : null;
  return {
    processes,
    dnsmasq: processes ? findDnsmasqInstances(processes) : [],
    udpSockets: ss !== null ? parseSs(ss, 'udp') : null,
  };
}
