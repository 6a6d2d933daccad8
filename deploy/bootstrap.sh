#!/usr/bin/env bash
# Installs the Debian packages Nodo AT needs, if any are missing. Idempotent.
# Never creates nor starts Debian's own "main" PostgreSQL cluster: Nodo AT runs
# its own private cluster (see `nodo-at db`).
set -euo pipefail

packages=(
  pkg-config
  libgeos-dev libproj-dev proj-bin libgdal-dev gdal-bin
  postgresql-15 postgresql-15-postgis-3
  libjs-leaflet
  chromium
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "bootstrap: all system packages present (${packages[*]})"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "bootstrap: missing packages: ${missing[*]}" >&2
  echo "bootstrap: run as root, or: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi

# Keep Debian from creating (and starting) its own cluster on install.
mkdir -p /etc/postgresql-common/createcluster.d
conf=/etc/postgresql-common/createcluster.d/00-nodo-no-main.conf
if [ ! -f "$conf" ]; then
  echo "create_main_cluster = false" > "$conf"
  echo "bootstrap: wrote $conf (no Debian main cluster)"
fi

echo "bootstrap: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq || apt-get update
# policy-rc.d keeps package scripts from starting services during install.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' > "$policy"
  chmod +x "$policy"
  created_policy=1
fi
trap '[ "$created_policy" = 1 ] && rm -f "$policy"' EXIT
apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "bootstrap: installed ${missing[*]}"
