#!/bin/sh
# Install what `lxdcheck lab` needs on a fresh Debian 12 machine (run as root; CI calls this).
#   network part (--no-lxd): iproute2 bridge-utils util-linux dnsmasq-base openssh-server
#                            openssh-client tinc iputils-ping isc-dhcp-client procps nftables
#   LXD part (default):      lxd lxd-client debootstrap (nftables: lxd init fails without it)
set -eu
export DEBIAN_FRONTEND=noninteractive
# Do not let the packages start system-wide daemons (a system sshd, lxd): the lab starts its own.
added_policy=0
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod 755 /usr/sbin/policy-rc.d
  added_policy=1
fi
cleanup() { if [ "$added_policy" = 1 ]; then rm -f /usr/sbin/policy-rc.d; fi; }
trap cleanup EXIT
apt-get update
apt-get install -y --no-install-recommends \
  iproute2 bridge-utils util-linux dnsmasq-base openssh-server openssh-client tinc \
  iputils-ping isc-dhcp-client procps nftables \
  lxd lxd-client debootstrap
