/**
 * What `lxdcheck init` reads on each host: one compound command of read-only
 * sections (src/facts/script.ts). Nothing here depends on an inventory, since
 * there is none yet; every section is a constant. The peervpn psk is removed
 * on the host, as in the doctor's own gather. Sections that read what the
 * doctor's stage one reads carry its section names (facts/host/*.ts).
 */
import { ADDRS, LINKS } from '../facts/host/links.js';
import { LXD_BRIDGE_DEFAULT } from '../facts/host/lxd.js';
import { REDACT_PSK } from '../facts/host/overlay/peervpn.js';
import { PS, SS_UDP } from '../facts/host/processes.js';
import { HOSTNAME } from '../facts/host/system.js';
import type { Section } from '../facts/script.js';

/** Where peervpn and tinc keep their configuration on the usual distributions. */
export const PEERVPN_CONFIGS = ['/etc/peervpn/*.conf', '/etc/peervpn.conf'];
export const TINC_CONFIGS = '/etc/tinc/*/tinc.conf';
export const LXD_BRIDGE_DEFAULTS = '/etc/default/lxd-bridge';

/** `==> path <==` before each readable file, as `tail` prints several files. */
const HEADER = `printf '==> %s <==\\n' "$f"`;

export const INIT_SECTIONS: readonly Section[] = [
  { name: HOSTNAME, shell: 'hostname', timeoutSeconds: 5 },
  {
    // Who we are and whether sudo -n works: decides `sudo:` in the inventory.
    name: 'whoami',
    shell:
      'u=$(id -u); echo "uid $u"; if [ "$u" != 0 ]; then if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then echo "sudo yes"; else echo "sudo no"; fi; fi',
    timeoutSeconds: 5,
    wrapTimeout: false,
  },
  { name: LINKS, shell: 'ip -j -d link show', timeoutSeconds: 5 },
  { name: ADDRS, shell: 'ip -j addr show', timeoutSeconds: 5 },
  { name: PS, shell: 'ps -eo pid,comm,args', timeoutSeconds: 5 },
  { name: SS_UDP, shell: 'ss -H -ulnp', timeoutSeconds: 5 },
  {
    // peervpn.conf is often readable by root only: try sudo -n when it is not readable.
    name: 'peervpn-conf',
    shell: `for f in ${PEERVPN_CONFIGS.join(' ')}; do if [ -r "$f" ]; then ${HEADER}; ${REDACT_PSK} "$f"; elif [ -e "$f" ] && sudo -n true 2>/dev/null; then ${HEADER}; sudo -n cat "$f" | ${REDACT_PSK}; fi; done; true`,
    timeoutSeconds: 5,
    wrapTimeout: false,
  },
  {
    // tinc.conf holds no secret (the private key is a separate file, never read).
    name: 'tinc-conf',
    shell: `for f in ${TINC_CONFIGS}; do if [ -r "$f" ]; then ${HEADER}; cat "$f"; fi; done; true`,
    timeoutSeconds: 5,
    wrapTimeout: false,
  },
  {
    // peervpn logs to its stdout: where fd 1 points is its log file (a redirect), if any.
    name: 'vpn-stdout',
    shell:
      'for p in $(ps -C peervpn,tincd -o pid= 2>/dev/null); do printf \'%s %s %s\\n\' "$p" "$(cat /proc/$p/comm 2>/dev/null)" "$(readlink /proc/$p/fd/1 2>/dev/null)"; done; true',
    timeoutSeconds: 5,
    wrapTimeout: false,
  },
  { name: LXD_BRIDGE_DEFAULT, shell: `cat ${LXD_BRIDGE_DEFAULTS}`, timeoutSeconds: 5 },
  {
    name: 'units',
    shell:
      "if [ -d /run/systemd/system ]; then systemctl list-units --all --no-legend --plain --type=service 'peervpn*' 'tinc*' 'vxlan*' 'lxd*' 'snap.lxd*' 'incus*' 'dnsmasq*'; else echo 'lxdcheck: systemd is not PID 1' >&2; exit 3; fi",
    timeoutSeconds: 5,
    wrapTimeout: false,
  },
  {
    // The first client whose daemon answers wins (a host moved from LXD to Incus may keep a dead lxc).
    name: 'lxd-networks',
    shell:
      'for c in lxc incus; do if command -v $c >/dev/null 2>&1; then if o=$(timeout 5 $c network list --format json 2>&1); then echo "client $c"; echo "$o"; exit 0; fi; echo "client $c failed: $o" >&2; fi; done; exit 127',
    timeoutSeconds: 12,
    wrapTimeout: false,
  },
];
