#!/bin/sh
# Install what `lxdcheck lab` needs on a fresh Debian 12 machine (run as root; CI calls this).
#   network part (--no-lxd): iproute2 bridge-utils util-linux dnsmasq-base openssh-server
#                            openssh-client tinc iputils-ping isc-dhcp-client procps nftables
#   LXD part (default):      lxd lxd-client debootstrap (nftables: lxd init fails without it)
#   Incus part (lab up --daemon incus): incus-base incus-client from bookworm-backports, pinned:
#                            backports is enabled for these packages and their backported
#                            libraries only (libcowsql0 libraft0); nothing else is upgraded from it.
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
# bookworm-backports for Incus only. Pin-Priority 1 keeps every other backports package out
# (never installed, never an upgrade); the named packages get 500, like bookworm itself.
BACKPORTS_PACKAGES='incus-base incus-client libcowsql0 libraft0'
if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  cat > /etc/apt/sources.list.d/lxdcheck-bookworm-backports.sources <<'SOURCES'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
fi
cat > /etc/apt/preferences.d/lxdcheck-backports <<PREFS
# lxdcheck: only Incus and what it needs come from bookworm-backports.
Package: *
Pin: release n=bookworm-backports
Pin-Priority: 1

Package: $BACKPORTS_PACKAGES
Pin: release n=bookworm-backports
Pin-Priority: 500
PREFS
apt-get update
apt-get install -y --no-install-recommends \
  iproute2 bridge-utils util-linux dnsmasq-base openssh-server openssh-client tinc \
  iputils-ping isc-dhcp-client procps nftables \
  lxd lxd-client debootstrap \
  incus-base incus-client
# The pin holds: an upgrade proposes nothing from backports.
if apt-get -s upgrade | grep -q 'backports'; then
  echo 'install-lab-deps: apt would upgrade packages from bookworm-backports; check /etc/apt/preferences.d/lxdcheck-backports' >&2
  exit 1
fi
