/**
 * The lab's peervpn STAND-IN. peervpn itself cannot be installed here (no Debian 12 or npm package, and
 * its stock source does not build against OpenSSL 3), so `lab up --overlay peervpn` runs this instead: a
 * bash script named `peervpn` (the kernel names a script's process after its file, so `ps` shows comm
 * `peervpn`) that reads /etc/peervpn/peervpn.conf, writes peervpn v0.044's log lines to
 * /var/log/peervpn.log, runs the upcmd once when the tap appears, and carries the frames over tinc 1.0 in
 * switch mode (its tap named peervpn0, its tinc-up leaving the bridge to the upcmd). What lxdcheck
 * concludes from real peervpn output is tested on real captures (fixtures/peervpn/), not on this.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import {
  BRIDGE,
  hostName,
  OVERLAY_IF,
  PEERVPN_CONF,
  PEERVPN_CONF_DIR,
  PEERVPN_LOG,
  PEERVPN_NETWORK,
  PEERVPN_PORT,
  PEERVPN_PSK_FILE,
  PEERVPN_STANDIN,
  TINC_KEYS_DIR,
  TINC_NET,
  TINC_PIDFILE,
  underlayAddress,
} from './constants.js';
import { waitFor } from './exec.js';
import { execOn } from './host.js';
import { pidAlive, rootPidOf } from './proc.js';
import type { DaemonRef, LabHost } from './state.js';

type H = Pick<LabHost, 'name' | 'index' | 'initPid' | 'dir' | 'underlayAddress' | 'overlayAddress'>;

/** As observed on the real daemon: the count is checked about every 11 s, a silent peer dropped after ~100 s. */
export const CHECK_INTERVAL_S = 11;
export const PEER_TIMEOUT_S = 100;
/** While no peer is connected, initpeers are resolved again every ~31 s. */
export const RESOLVE_INTERVAL_S = 31;

/** The stand-in's run dir in the host's own /run: the sessions it counts, the tap hand-over with tinc-up. */
const STANDIN_RUN = '/run/peervpn-stand-in';
const SESSIONS = `${STANDIN_RUN}/sessions`;

/** The stand-in script (see the comment at its top). */
export const STANDIN_SCRIPT = `#!/bin/bash
# THE LXDCHECK LAB'S peervpn STAND-IN, not peervpn (https://peervpn.net), which cannot be installed here.
# It presents what lxdcheck reads on a peervpn host: a process named peervpn, its config file, and a log
# in peervpn v0.044's formats (checked against real captures by test/unit/lab-peervpn.test.ts), and it
# behaves as the real daemon was observed to (lxdcheck's notes, "peervpn states"). The frames travel
# over tinc 1.0 in switch mode, started here as a child with its tap named after \`interface\`.
#   - upcmd runs once right after the tap appears (system(): /bin/sh -c), output to this log;
#   - \`[N] M peers connected.\` counts sessions, checked every ${CHECK_INTERVAL_S} s and printed only on change;
#     tinc's host-up/host-down scripts open and close sessions, a closed one is dropped ${PEER_TIMEOUT_S} s
#     later (as peervpn drops a silent peer), so a restarted peer counts twice for a while;
#   - the psk keys the transport: the tinc node names carry a keyed hash of networkname and psk,
#     so hosts whose psks differ never connect, and nothing is printed about it;
#   - while 0 peers are connected, the initpeers are "resolved" (and tinc retries) every ${RESOLVE_INTERVAL_S} s;
#   - SIGTERM: a blank line, \`main loop left.\`, \`exit.\`.
# Usage: peervpn CONFIGFILE
set -u
TINC_NET=${TINC_NET}
# The LXLAB_PEERVPN_* overrides exist for its unit test (temporary dirs, a stub tincd, short timers)
# and for debugging (LXLAB_PEERVPN_TINC_DEBUG: tinc's debug level).
TINC_DIR=\${LXLAB_PEERVPN_TINC_DIR:-/etc/tinc/$TINC_NET}
TINC_PIDFILE=\${LXLAB_PEERVPN_TINC_PIDFILE:-${TINC_PIDFILE}}
RUNDIR=\${LXLAB_PEERVPN_RUN:-${STANDIN_RUN}}
SESS=$RUNDIR/sessions
CHECK_INTERVAL=\${LXLAB_PEERVPN_CHECK_S:-${CHECK_INTERVAL_S}}
PEER_TIMEOUT=\${LXLAB_PEERVPN_TIMEOUT_S:-${PEER_TIMEOUT_S}}
RESOLVE_INTERVAL=\${LXLAB_PEERVPN_RESOLVE_S:-${RESOLVE_INTERVAL_S}}

conf=\${1:-}
if [[ -z $conf || ! -r $conf ]]; then
  echo "error: could not open config file!"
  exit 1
fi

networkname=PEERVPN psk='' interface='' ifconfig4='' upcmd='' port=7000 initpeers=''
n=0
while IFS= read -r line || [[ -n $line ]]; do
  n=$((n + 1))
  # peervpn ends a line at the first # or ; anywhere.
  line=\${line%%[#;]*}
  read -r key value <<<"$line"
  [[ -z \${key:-} ]] && continue
  case \${key,,} in
    networkname) networkname=$value ;;
    psk) psk=$value ;;
    interface) interface=$value ;;
    ifconfig4) ifconfig4=$value ;;
    upcmd) upcmd=$value ;;
    port) port=$value ;;
    initpeers) initpeers=$value ;;
    endconfig) break ;;
    enabletunneling | ifconfig6 | local | sockmark | enableipv4 | enableipv6 | enablenat64clat | \\
      enablendpcache | enablerelay | enablevirtserv | engine | enableprivdrop | user | group | chroot | \\
      enableconsole | enableseccomp | forceseccomp | echo) ;;
    *)
      echo "error: config file parse error at line $n!"
      exit 1
      ;;
  esac
done <"$conf"
[[ -n $interface ]] || interface=peervpn0

printf 'PeerVPN v0.044\\n(c)2016 Tobias Volk <mail@tobiasvolk.de>\\n\\n\\n'

# ---- the transport: tinc, configured from this file (names keyed by the psk)
key=$(cat "$TINC_DIR/stand-in.key" 2>/dev/null)
tag=$(printf '%s\\n%s\\n%s\\n' "$key" "$networkname" "$psk" | sha256sum)
tag=\${tag:0:12}
me=$(cat /proc/sys/kernel/hostname)
rm -rf "$TINC_DIR/hosts" "$SESS" "$RUNDIR/tap-open" "$RUNDIR/upcmd-done"
mkdir -p "$TINC_DIR/hosts" "$SESS"
peer_file() { # the lab's key file of the host at address $1
  local f a
  for f in "$TINC_DIR"/peers/*; do
    a=$(sed -n 's/^Address = //p' "$f")
    [[ $a == "$1" ]] && { echo "$f"; return 0; }
  done
  return 1
}
{
  echo "Name = \${me}_$tag"
  echo "Mode = switch"
  echo "DeviceType = tap"
  echo "Interface = $interface"
  echo "AddressFamily = ipv4"
  # Floods (ARP, DHCP, unknown MACs) straight to every peer, as peervpn does; see writeTincConfig.
  echo "Broadcast = direct"
  echo "Port = $port"
} >"$TINC_DIR/tinc.conf"
{ echo "Port = $port"; sed '/^Address = /d' "$TINC_DIR/peers/$me"; } >"$TINC_DIR/hosts/\${me}_$tag"
peers=()
set -f
set -- $initpeers
set +f
while [[ $# -ge 2 ]]; do
  peers+=("$1:$2")
  if f=$(peer_file "$1"); then
    name=$(basename "$f")
    { echo "Address = $1"; echo "Port = $2"; sed '/^Address = /d' "$f"; } >"$TINC_DIR/hosts/\${name}_$tag"
    echo "ConnectTo = \${name}_$tag" >>"$TINC_DIR/tinc.conf"
  fi
  shift 2
done

echo "opening sockets..."
echo "   IPv4/UDP: ok."
echo "   IPv6/UDP: ok."
echo "opening TAP device..."
rm -f "$TINC_PIDFILE"
tincd -n "$TINC_NET" -c "$TINC_DIR" -D --logfile -d"\${LXLAB_PEERVPN_TINC_DEBUG:-1}" --pidfile="$TINC_PIDFILE" </dev/null >/dev/null 2>&1 &
tinc_pid=$!
i=0
# tinc's tinc-up says when the tap is open and waits (bounded) for upcmd-done: like peervpn, which
# starts its P2P engine only after its upcmd, no frame crosses before the tap is up and bridged.
while [[ ! -e $RUNDIR/tap-open || ! -s $TINC_PIDFILE || ! -e /sys/class/net/$interface ]]; do
  i=$((i + 1))
  if ((i > 100)) || ! kill -0 "$tinc_pid" 2>/dev/null; then
    echo "   failed!"
    kill "$tinc_pid" 2>/dev/null
    exit 1
  fi
  sleep 0.1
done
echo "   device \\"$interface\\": ok."
if [[ -n $ifconfig4 ]]; then
  ip addr add "$ifconfig4" dev "$interface" && ip link set dev "$interface" up
fi
# system(upcmd), once, never retried; its output (e.g. brctl's "bridge lxdbr0 does not exist!") lands here.
[[ -n $upcmd ]] && /bin/sh -c "$upcmd"
: >"$RUNDIR/upcmd-done"
echo "   done."
echo "preparing P2P engine..."
echo "   done."
echo
client_id=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \\n' | tr a-f A-F)
network_id=$(printf '%s' "$networkname" | sha256sum | tr a-f A-F)
echo "Client ID:  $client_id"
echo "Network ID: \${network_id:0:64}"
echo
echo "entering main loop..."
echo

shutdown() {
  trap '' TERM INT
  printf '\\nmain loop left.\\n'
  kill -TERM "$tinc_pid" 2>/dev/null
  wait "$tinc_pid" 2>/dev/null
  echo "exit."
  exit 0
}
trap shutdown TERM INT

sessions=0
count_sessions() {
  local f t c=0
  for f in "$SESS"/S.*; do
    [[ -e $f && $f != *.down ]] || continue
    if [[ -e $f.down ]]; then
      read -r t <"$f.down" || t=0
      if ((EPOCHSECONDS - \${t:-0} >= PEER_TIMEOUT)); then
        rm -f -- "$f" "$f.down"
        continue
      fi
    fi
    c=$((c + 1))
  done
  sessions=$c
}
resolve() {
  local p
  for p in "\${peers[@]}"; do
    printf '[%d] resolving %s...\\n             done.\\n' "$SECONDS" "$p"
  done
  last_resolve=$SECONDS
  # A later round also makes tinc retry now (as peervpn retries its initpeers). Never the first: an
  # ALRM while tinc's connections and path-MTU probes are starting fires all its timers at once,
  # which churns the connections and can fix a low path MTU for minutes (the lab's old flake).
  if ((SECONDS > 0)); then kill -ALRM "$tinc_pid" 2>/dev/null; fi
}

SECONDS=0
count=0
echo "[0] 0 peers connected."
resolve
next_check=$CHECK_INTERVAL
while :; do
  sleep 1 &
  wait $!
  if ((SECONDS >= next_check)); then
    next_check=$((SECONDS + CHECK_INTERVAL))
    count_sessions
    if ((sessions != count)); then
      count=$sessions
      echo "[$SECONDS] $count peers connected."
    fi
  fi
  if ((count == 0 && SECONDS - last_resolve >= RESOLVE_INTERVAL)); then resolve; fi
done
`;

/** The host's private /etc/peervpn on disk. */
export const peervpnConfDir = (h: Pick<LabHost, 'dir'>) => `${h.dir}/etc-peervpn`;

/** peervpn.conf as in the original write-up (a psk line, interface peervpn0, port 7000, initpeers, upcmd). */
export function peervpnConfig(
  h: Pick<LabHost, 'index' | 'overlayAddress'>,
  hosts: number,
  psk: string,
): string {
  const initpeers: string[] = [];
  for (let j = 1; j <= hosts; j++) if (j !== h.index) initpeers.push(`${underlayAddress(j)} ${PEERVPN_PORT}`);
  return [
    `networkname ${PEERVPN_NETWORK}`,
    `psk ${psk}`,
    'enabletunneling yes',
    `interface ${OVERLAY_IF}`,
    `ifconfig4 ${h.overlayAddress}/24`,
    `port ${PEERVPN_PORT}`,
    `initpeers ${initpeers.join(' ')}`,
    `upcmd brctl addif ${BRIDGE} ${OVERLAY_IF}`,
    '',
  ].join('\n');
}

/** A fresh random psk (letters and digits: peervpn cuts a value at `#` or `;`). */
export function randomPsk(): string {
  return randomBytes(24)
    .toString('base64')
    .replace(/[^A-Za-z0-9]/g, '')
    .slice(0, 24);
}

/** The lab's psk: made once per lab, kept 0600 in the lab's state dir (never in the state file). */
export async function labPsk(): Promise<string> {
  try {
    const psk = (await readFile(PEERVPN_PSK_FILE, 'utf8')).trim();
    if (psk) return psk;
  } catch {
    // made below
  }
  const psk = randomPsk();
  await writeFile(PEERVPN_PSK_FILE, `${psk}\n`, { mode: 0o600 });
  return psk;
}

export async function writePeervpnConfig(h: H, hosts: number, psk: string): Promise<void> {
  await mkdir(peervpnConfDir(h), { recursive: true });
  await writeFile(`${peervpnConfDir(h)}/peervpn.conf`, peervpnConfig(h, hosts, psk), { mode: 0o600 });
  await chmod(`${peervpnConfDir(h)}/peervpn.conf`, 0o600);
}

/** The stand-in script itself (once per lab; every host sees the same file). */
export async function installStandin(): Promise<void> {
  await mkdir(PEERVPN_STANDIN.slice(0, PEERVPN_STANDIN.lastIndexOf('/')), { recursive: true });
  await writeFile(PEERVPN_STANDIN, STANDIN_SCRIPT, { mode: 0o755 });
  await chmod(PEERVPN_STANDIN, 0o755);
}

/**
 * /etc/tinc/lxd for the stand-in: this host's tinc key, every host's public key and address (peers/),
 * the key of the psk tags, and scripts. tinc.conf and hosts/ are written by the stand-in from peervpn.conf.
 */
export async function writeStandinTinc(h: H, hosts: number, tagKey: string): Promise<void> {
  const dir = `${h.dir}/etc-tinc/${TINC_NET}`;
  await rm(dir, { recursive: true, force: true });
  await mkdir(`${dir}/peers`, { recursive: true });
  for (let j = 1; j <= hosts; j++) {
    const pub = await readFile(`${TINC_KEYS_DIR}/${hostName(j)}/rsa_key.pub`, 'utf8');
    await writeFile(`${dir}/peers/${hostName(j)}`, `Address = ${underlayAddress(j)}\n\n${pub}`);
  }
  await writeFile(
    `${dir}/rsa_key.priv`,
    await readFile(`${TINC_KEYS_DIR}/${hostName(h.index)}/rsa_key.priv`),
    {
      mode: 0o600,
    },
  );
  await writeFile(`${dir}/stand-in.key`, `${tagKey}\n`, { mode: 0o600 });
  const scripts: Record<string, string> = {
    // peervpn's own ifconfig4 and upcmd put the tap up and in the bridge, not tinc: tinc-up only hands
    // the open tap to the stand-in and waits (bounded) until its upcmd ran, before tinc connects.
    'tinc-up': `#!/bin/sh
: > ${STANDIN_RUN}/tap-open
i=0
while [ ! -e ${STANDIN_RUN}/upcmd-done ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
exit 0
`,
    'tinc-down': '#!/bin/sh\nexit 0\n',
    // A node that becomes reachable opens a session; one that goes away closes its open sessions.
    'host-up': `#!/bin/sh
case "$NODE" in *[!A-Za-z0-9_]*|'') exit 0;; esac
mkdir -p ${SESSIONS}
: > "${SESSIONS}/S.\${NODE%_*}.$(date +%s%N)"
`,
    'host-down': `#!/bin/sh
case "$NODE" in *[!A-Za-z0-9_]*|'') exit 0;; esac
now=$(date +%s)
for f in "${SESSIONS}/S.\${NODE%_*}".*; do
  case "$f" in *.down) continue;; esac
  [ -e "$f" ] && [ ! -e "$f.down" ] && echo "$now" > "$f.down"
done
exit 0
`,
  };
  for (const [name, text] of Object.entries(scripts)) {
    await writeFile(`${dir}/${name}`, text, { mode: 0o755 });
    await chmod(`${dir}/${name}`, 0o755);
  }
}

/** A fresh key for the psk tags of one lab (the tags then say nothing about the psk outside it). */
export const newTagKey = () => randomBytes(16).toString('hex');

export const PEERVPN_ARGV = [PEERVPN_STANDIN, PEERVPN_CONF];

/**
 * Start the stand-in as a daemon of the host (its init adopts it), stdout and stderr appended to the log
 * as under a service manager. Returns once the process runs; the caller waits for what it needs.
 */
export async function startPeervpn(h: H): Promise<DaemonRef> {
  const script = `setsid ${PEERVPN_ARGV.join(' ')} >>${PEERVPN_LOG} 2>&1 </dev/null & echo $!`;
  const r = await execOn(h, ['/bin/sh', '-c', script], { timeoutMs: 10_000 });
  const nsPid = Number(r.stdout.trim());
  if (r.exitCode !== 0 || !Number.isInteger(nsPid) || nsPid <= 0) {
    throw new Error(`${h.name}: could not start the peervpn stand-in: ${(r.stderr || r.stdout).trim()}`);
  }
  const pid = await waitFor(`${h.name}: the peervpn stand-in (pid ${nsPid})`, 5000, async () => {
    const p = await rootPidOf(h.initPid, nsPid);
    return p && (await pidAlive(p)) ? p : undefined;
  });
  // Up once the tap exists and the upcmd has run: its banner goes on to `preparing P2P engine...`.
  await waitFor(`${h.name}: peervpn's tap and upcmd`, 15_000, async () => {
    if (!(await pidAlive(pid))) throw new Error(`${h.name}: the peervpn stand-in exited; see ${PEERVPN_LOG}`);
    const log = await readFile(`${h.dir}/log/${PEERVPN_LOG.replace(/^\/var\/log\//, '')}`, 'utf8').catch(
      () => '',
    );
    return log.slice(log.lastIndexOf('PeerVPN v')).includes('entering main loop...') ? true : undefined;
  });
  return { pid, nsPid, argv: PEERVPN_ARGV };
}

/** The last `[N] M peers connected.` of the stand-in's current run (null before its first). */
export async function peervpnLoggedCount(h: Pick<LabHost, 'dir'>): Promise<number | null> {
  const log = await readFile(`${h.dir}/log/${PEERVPN_LOG.replace(/^\/var\/log\//, '')}`, 'utf8').catch(
    () => '',
  );
  const run = log.slice(log.lastIndexOf('PeerVPN v'));
  const counts = [...run.matchAll(/^\[\d+\] (\d+) peers connected\.$/gm)];
  const last = counts.at(-1);
  return last ? Number(last[1]) : null;
}

export { PEERVPN_CONF_DIR, TINC_PIDFILE };
