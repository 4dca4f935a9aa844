#!/usr/bin/env bash
# Installs what the test suite needs from Debian's packages, once: Chromium for the lobby-board
# tests (driven by playwright-core; no browser download), its fonts, libusb for loading node-hid,
# the sqlite3 shell, openssl, systemd's tools and PostgreSQL's server binaries (the hub's
# PostgreSQL storage tests start a throwaway server of their own: scripts/pg-temp.ts).
# Idempotent and quiet when everything is already there.
set -euo pipefail

need=()
[[ -x /usr/bin/chromium ]] || need+=(chromium)
# The lobby board's font stack starts with DejaVu Sans: it has every Kazakh letter (Ә Ғ Қ Ң Ө Ұ Ү Һ І).
[[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]] || need+=(fonts-dejavu-core)
ldconfig -p 2>/dev/null | grep -q 'libusb-1.0.so.0' || need+=(libusb-1.0-0)
command -v sqlite3 >/dev/null 2>&1 || need+=(sqlite3)
# TLS tests make a self-signed hub certificate; the ops tests run systemd-notify and systemd-analyze.
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v systemd-analyze >/dev/null 2>&1 || need+=(systemd)
# Debian keeps initdb and pg_ctl in /usr/lib/postgresql/<version>/bin, off PATH.
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || need+=(postgresql)

if ((${#need[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "ensure-test-deps: missing Debian packages: ${need[*]} (run: sudo apt-get install ${need[*]})" >&2
    exit 1
  fi
  echo "ensure-test-deps: installing ${need[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
