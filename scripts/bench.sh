#!/usr/bin/env bash
# The fleet benchmark (bench/README.md): installs what it needs besides the project's own (gnuplot for the
# plot, GNU time for the process tree's CPU), then runs bench/fleet.ts with the given sizes.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/bootstrap.sh
missing=()
command -v gnuplot >/dev/null || missing+=(gnuplot-nox)
[ -x /usr/bin/time ] || missing+=(time)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "bench: installing ${missing[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
export PATH="$root/.pulumi/bin:$PATH"
exec node dist/bench/fleet.js "$@"
