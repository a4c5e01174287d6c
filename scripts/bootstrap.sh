#!/usr/bin/env bash
# Installs what ngcp-fleet needs on a fresh Debian machine, and nothing twice:
# Debian packages (the lab's sshd, MariaDB, cron, iptables; PostgreSQL for the
# tests of shared team state), npm packages, the
# compiled TypeScript, and the Pulumi engine (engine/ensure.sh). Run as root.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
log() { printf 'bootstrap: %s\n' "$*" >&2; }

packages=(openssh-server openssh-client mariadb-server mariadb-client cron iptables iproute2 socat openssl sudo git
  ca-certificates util-linux procps python3 python3-yaml faketime postgresql)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
  [ "$(id -u)" -eq 0 ] || { log "need root to install: ${missing[*]}"; exit 1; }
  log "installing Debian packages: ${missing[*]}"
  # The lab starts its own daemons inside namespaces; keep the packages from
  # starting system-wide copies while they install.
  own_policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && own_policy=yes
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  [ -z "$own_policy" ] || rm -f /usr/sbin/policy-rc.d
fi

node_major=$(node -p 'process.versions.node.split(".")[0]')
node_minor=$(node -p 'process.versions.node.split(".")[1]')
if [ "$node_major" -lt 20 ] || { [ "$node_major" -eq 20 ] && [ "$node_minor" -lt 19 ]; }; then
  log "Node.js >= 20.19 is required, found $(node --version)"
  exit 1
fi

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "installing npm packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi

log "compiling TypeScript"
npm run --silent build

engine_bin=$(bash engine/ensure.sh)
log "engine ready in $engine_bin ($("$engine_bin/pulumi" version))"
