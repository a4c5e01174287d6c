#!/usr/bin/env bash
# Brings up the local lab (npm run lab:up). Builds the CLI first when dist/ is missing or older than the
# sources, then runs `ngcp-fleet lab up`. Needs root.
#   bash scripts/lab-up.sh [--nodes N] [--edition 001|000]     (default: 3 nodes, edition 001)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
[ "$(id -u)" -eq 0 ] || { echo "lab-up: the lab needs root (namespaces, bind mounts, daemons)" >&2; exit 1; }
args=("$@")
case " ${args[*]-} " in
  *" --nodes "*) ;;
  *) args+=(--nodes 3) ;;
esac
if [ ! -f dist/cli/main.js ] || [ -n "$(find cli lab -name '*.ts' -newer dist/cli/main.js -print -quit)" ]; then
  echo "lab-up: compiling TypeScript" >&2
  # Other modules may not type-check while they are being written; the emitted JavaScript is what counts here.
  npx tsc -p tsconfig.json >/dev/null || true
fi
exec node bin/ngcp-fleet lab up "${args[@]}"
