#!/usr/bin/env bash
# Install the Debian packages the test suite runs for real: Prometheus and
# Alertmanager (lab/servers/prometheus.py starts them on loopback), and Chromium
# (the browser tier drives /usr/bin/chromium with Playwright: Playwright's own
# browser download is never used).
# Idempotent: does nothing when the binaries are already on PATH.
#
# Debian names the binaries prometheus, promtool (package prometheus),
# prometheus-alertmanager, amtool (package prometheus-alertmanager) and
# chromium (package chromium).
set -euo pipefail

packages=(prometheus prometheus-alertmanager chromium)

have_all() {
  command -v prometheus >/dev/null && command -v promtool >/dev/null &&
    { command -v prometheus-alertmanager >/dev/null || command -v alertmanager >/dev/null; } &&
    [[ -x /usr/bin/chromium ]]
}

if have_all; then
  echo "system-deps: prometheus, promtool, alertmanager and chromium already installed; nothing to do"
  exit 0
fi

sudo=()
if [[ $EUID -ne 0 ]]; then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    sudo=(sudo -n)
  else
    echo "system-deps: error: installing ${packages[*]} needs root (or password-less sudo)" >&2
    exit 1
  fi
fi

# There is no systemd here: the packages' maintainer scripts would try to start
# their daemons through invoke-rc.d. A policy-rc.d answering 101 ("action
# forbidden") makes them skip that; ours is removed afterwards, a pre-existing
# one is left alone.
policy=/usr/sbin/policy-rc.d
own_policy=0
cleanup() {
  if [[ $own_policy -eq 1 ]]; then
    "${sudo[@]}" rm -f "$policy"
    echo "system-deps: removed temporary $policy"
  fi
}
trap cleanup EXIT
if [[ ! -e $policy ]]; then
  printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
  "${sudo[@]}" chmod 755 "$policy"
  own_policy=1
  echo "system-deps: installed temporary $policy (no service starts during install)"
fi

export DEBIAN_FRONTEND=noninteractive
echo "system-deps: apt-get update"
if ! "${sudo[@]}" apt-get update -q >/dev/null; then
  echo "system-deps: error: apt-get update failed" >&2
  exit 1
fi
echo "system-deps: apt-get install --no-install-recommends ${packages[*]}"
if ! "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
  --no-install-recommends -o Dpkg::Options::=--force-confdef \
  -o Dpkg::Options::=--force-confold "${packages[@]}" </dev/null >/dev/null; then
  echo "system-deps: error: apt-get install ${packages[*]} failed (run it by hand to see why)" >&2
  exit 1
fi

# Tests pick free ports; a daemon started by the packages anyway (e.g. where a
# real init system exists) would only hold 9090/9093 and burn CPU, so stop it.
# Debian runs them as the user "prometheus"; the test suite's own are left alone.
for daemon in prometheus prometheus-alertmanager alertmanager; do
  if pids=$(pgrep -u prometheus -x "$daemon" 2>/dev/null); then
    echo "system-deps: stopping $daemon started by the package (pid $pids)"
    "${sudo[@]}" kill -TERM $pids 2>/dev/null || true
  fi
done

if ! have_all; then
  echo "system-deps: error: installed ${packages[*]} but prometheus, promtool," \
    "alertmanager or /usr/bin/chromium is still missing" >&2
  exit 1
fi
echo "system-deps: installed $(prometheus --version 2>&1 | head -n1); $(/usr/bin/chromium --version 2>/dev/null | head -n1)"
