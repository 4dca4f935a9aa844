#!/usr/bin/env bash
# Installs esik on a Raspberry Pi (64-bit Raspberry Pi OS, Node 20, systemd), from the release or
# checkout this script sits in. Idempotent: running it again changes nothing that is already right
# and never overwrites a configuration, key or token a technician has put in place.
#
#   sudo scripts/install-pi.sh [--public-key release-key.pub] [--config my-config.json] [--no-start]
#   scripts/install-pi.sh --root /tmp/image      # stage into a folder (tests, SD-card images)
#
# Later versions arrive with `esik update RELEASE.tgz` (signed, health-checked, rolled back if bad).
set -euo pipefail

ROOT=/
PUBLIC_KEY=
CONFIG=
START=1
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

usage() { sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }
while (($#)); do
  case $1 in
    --root) ROOT=${2:?--root needs a folder}; shift 2 ;;
    --public-key) PUBLIC_KEY=${2:?}; shift 2 ;;
    --config) CONFIG=${2:?}; shift 2 ;;
    --no-start) START=0; shift ;;
    -h|--help) usage 0 ;;
    *) echo "install-pi: unknown option $1" >&2; usage 2 ;;
  esac
done
ROOT=$(cd "$ROOT" && pwd)
R=${ROOT%/}          # prefix for every path; empty on a real install
LIVE=0; [[ $ROOT == / ]] && LIVE=1
if ((LIVE)) && [[ $(id -u) -ne 0 ]]; then echo "install-pi: run as root (sudo)" >&2; exit 1; fi
say() { printf 'install-pi: %s\n' "$*"; }

version_of() {
  node -e 'const fs=require("fs");for(const f of process.argv.slice(1)){try{const v=JSON.parse(fs.readFileSync(f,"utf8")).version;if(v){console.log(v);process.exit(0)}}catch{}}process.exit(1)' \
    "$1/manifest.json" "$1/package.json"
}

# ---- user and groups ----
ensure_group() {
  if ((LIVE)); then getent group "$1" >/dev/null || groupadd --system "$1"
  else
    mkdir -p "$R/etc"; touch "$R/etc/group"
    grep -q "^$1:" "$R/etc/group" || echo "$1:x:$2:" >>"$R/etc/group"
  fi
}
ensure_user() {
  if ((LIVE)); then
    id esik >/dev/null 2>&1 || useradd --system --no-create-home --home-dir /var/lib/esik --shell /usr/sbin/nologin --user-group esik
    usermod -a -G gpio,hidraw,dialout,lp esik
  else
    touch "$R/etc/passwd"
    grep -q '^esik:' "$R/etc/passwd" || echo 'esik:x:990:990:esik kiosk:/var/lib/esik:/usr/sbin/nologin' >>"$R/etc/passwd"
    grep -q '^esik:' "$R/etc/group" || echo 'esik:x:990:' >>"$R/etc/group"
    local g; for g in gpio hidraw dialout lp; do
      awk -F: -v OFS=: -v g="$g" '$1 == g { n = split($4, m, ","); for (i = 1; i <= n; i++) if (m[i] == "esik") n = -1
        if (n >= 0) $4 = ($4 == "" ? "esik" : $4 ",esik") } { print }' "$R/etc/group" >"$R/etc/group.esik-tmp"
      mv "$R/etc/group.esik-tmp" "$R/etc/group"
    done
  fi
}
ensure_group gpio 997; ensure_group hidraw 996; ensure_group dialout 20; ensure_group lp 7
ensure_user
owner() { ((LIVE)) && chown "$@" || true; }

# ---- udev rules ----
install -D -m 0644 "$SRC/scripts/udev/99-esik.rules" "$R/etc/udev/rules.d/99-esik.rules"
if ((LIVE)) && command -v udevadm >/dev/null; then udevadm control --reload && udevadm trigger --subsystem-match=hidraw --subsystem-match=gpio --subsystem-match=tty --subsystem-match=usbmisc || true; fi

# ---- /etc/esik: configuration, release key, upstream token (never overwritten) ----
install -d -m 0750 "$R/etc/esik"; owner root:esik "$R/etc/esik"
if [[ ! -e $R/etc/esik/config.json ]]; then
  install -m 0640 "${CONFIG:-$SRC/systemd/config.example.json}" "$R/etc/esik/config.json"; owner root:esik "$R/etc/esik/config.json"
  say "wrote /etc/esik/config.json: edit doors and readers, then \`esik doctor\`"
fi
if [[ -n $PUBLIC_KEY && ! -e $R/etc/esik/release-key.pub ]]; then install -m 0644 "$PUBLIC_KEY" "$R/etc/esik/release-key.pub"; fi
[[ -e $R/etc/esik/release-key.pub ]] || say "no /etc/esik/release-key.pub yet: \`esik update\` refuses releases until it is there"
# systemd reads the token as root (LoadCredential=) and hands the service a private copy.
if [[ ! -e $R/etc/esik/upstream.token ]]; then (umask 077; : >"$R/etc/esik/upstream.token"); fi
chmod 0600 "$R/etc/esik/upstream.token"

# ---- state ----
install -d -m 0750 "$R/var/lib/esik"; owner esik:esik "$R/var/lib/esik"

# ---- the app: /opt/esik/releases/<version> and the current link ----
VERSION=$(version_of "$SRC")
RELEASES=$R/opt/esik/releases
install -d -m 0755 "$RELEASES"
if [[ ! -d $RELEASES/$VERSION ]]; then
  STAGE=$(mktemp -d "$RELEASES/.incoming-XXXXXX")
  tar -C "$SRC" --exclude=./.git --exclude=./var --exclude=./coverage --exclude=./artifacts -cf - . | tar -C "$STAGE" -xf -
  chmod 0755 "$STAGE"
  sync -f "$STAGE" 2>/dev/null || sync
  mv -T "$STAGE" "$RELEASES/$VERSION"
  say "installed release $VERSION"
fi
if [[ ! -L $R/opt/esik/current ]]; then
  ln -sfn "releases/$VERSION" "$R/opt/esik/.current.install.tmp"
  mv -T "$R/opt/esik/.current.install.tmp" "$R/opt/esik/current"   # rename: atomic switch
fi
# The first release counts as healthy history, so `esik rollback` can come back to it later.
[[ -e $R/opt/esik/update-state.json ]] || printf '{ "history": ["%s"], "failed": [], "inFlight": null }\n' "$VERSION" >"$R/opt/esik/update-state.json"
install -d -m 0755 "$R/usr/local/bin"
ln -sfn /opt/esik/current/bin/esik.js "$R/usr/local/bin/esik"

# ---- systemd units ----
install -D -m 0644 "$SRC/systemd/esik.service" "$R/etc/systemd/system/esik.service"
install -D -m 0644 "$SRC/systemd/esik-update-recover.service" "$R/etc/systemd/system/esik-update-recover.service"
install -D -m 0644 "$SRC/systemd/esik-board.service" "$R/etc/systemd/user/esik-board.service"
if ((LIVE)) && [[ -d /run/systemd/system ]]; then
  systemctl daemon-reload
  systemctl enable esik.service esik-update-recover.service
  if ((START)); then systemctl restart esik.service; say "esik started: \`systemctl status esik\`, \`esik health\`"; fi
else
  # Offline enable, exactly what `systemctl enable` would link (works on an image or a test root).
  install -d "$R/etc/systemd/system/multi-user.target.wants"
  ln -sfn /etc/systemd/system/esik.service "$R/etc/systemd/system/multi-user.target.wants/esik.service"
  ln -sfn /etc/systemd/system/esik-update-recover.service "$R/etc/systemd/system/multi-user.target.wants/esik-update-recover.service"
  say "staged into $ROOT (units enabled, not started)"
fi
