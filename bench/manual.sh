#!/bin/sh
# The manual way, scripted: what the original write-up tells an operator to
# run, host by host, one ssh per command, one command after another (pings
# too, as a person types them). The baseline `npm run bench` compares
# lxdcheck with.
#
#   bench/manual.sh 192.168.99.1=172.16.0.1 192.168.99.2=172.16.0.2 ...
#
# Each argument is SSH-ADDRESS=BRIDGE-ADDRESS of one host. Output goes to
# stdout (the bench discards it); the exit code is the number of commands that
# failed (capped at 255), so a broken lab shows.
#
# Environment: KEY (default /run/lxlab/id_ed25519), KNOWN_HOSTS (default
# /run/lxlab/known_hosts), TINC_LOG (default /var/log/tinc.lxd.log).
set -u

KEY=${KEY:-/run/lxlab/id_ed25519}
KNOWN_HOSTS=${KNOWN_HOSTS:-/run/lxlab/known_hosts}
TINC_LOG=${TINC_LOG:-/var/log/tinc.lxd.log}

if [ $# -eq 0 ]; then
  echo "usage: $0 SSH-ADDRESS=BRIDGE-ADDRESS ..." >&2
  exit 2
fi

failed=0
on() {
  host=$1
  shift
  echo "### $host: $*"
  ssh -i "$KEY" -o UserKnownHostsFile="$KNOWN_HOSTS" -o StrictHostKeyChecking=yes -o BatchMode=yes \
    -o ConnectTimeout=5 "root@$host" "$@" || failed=$((failed + 1))
}

for pair in "$@"; do
  host=${pair%%=*}
  on "$host" brctl show
  on "$host" pgrep -a tincd
  on "$host" tail -n 20 "$TINC_LOG"
  on "$host" ip addr
  on "$host" ip route show
  for other in "$@"; do
    [ "$other" = "$pair" ] && continue
    on "$host" ping -c 3 -W 1 "${other#*=}"
  done
done

[ $failed -gt 255 ] && failed=255
exit $failed
