#!/usr/bin/env bash
# Takes the local lab down: stops every lab process by PID, removes namespaces, veths, bridge and node
# disks. Keeps the deployer key, host keys, certificate and MariaDB template (add --purge to drop them).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
[ "$(id -u)" -eq 0 ] || { echo "lab-down: the lab needs root" >&2; exit 1; }
if [ ! -f dist/cli/main.js ]; then
  npx tsc -p tsconfig.json >/dev/null || true
fi
exec node bin/ngcp-fleet lab down "$@"
