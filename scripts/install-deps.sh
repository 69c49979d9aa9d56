#!/bin/sh
# Everything lxdcheck's lab, demo and tests need on a fresh Debian 12 machine (run as root).
# The lab's daemons come from install-lab-deps.sh; the test-only tools are added here:
#   fping (mesh pings), socat (ProxyCommand test), tmux (the real-terminal doctor test),
#   sudo (the transport's sudo -n path), perl (prove, a second TAP consumer), python3 (DNS probe),
#   chromium (the HTML report's browser test, through puppeteer-core).
set -eu
here=$(dirname "$0")
sh "$here/install-lab-deps.sh"
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
  fping socat tmux sudo perl python3 ca-certificates \
  chromium
