#!/usr/bin/env bash
# Lints the CI rollout workflow with actionlint, built once per pin from tools/actionlint (Go module
# proxy) into the user-level cache, like the engine.
#   bash scripts/actionlint.sh [workflow files...]   (default: .github/workflows/*.yml)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
pin=$(cat "$root/tools/actionlint/go.mod" "$root/tools/actionlint/go.sum" | sha256sum | cut -c1-16)
cache="${XDG_CACHE_HOME:-$HOME/.cache}/ngcp-fleet/tools/actionlint-$pin"
if [ ! -x "$cache/actionlint" ]; then
  mkdir -p "$cache"
  echo "actionlint: building from tools/actionlint (one time per pin)" >&2
  (cd "$root/tools/actionlint" && go build -trimpath -o "$cache/actionlint.partial" github.com/rhysd/actionlint/cmd/actionlint)
  mv "$cache/actionlint.partial" "$cache/actionlint"
fi
cd "$root"
if [ $# -eq 0 ]; then set -- .github/workflows/*.yml; fi
exec "$cache/actionlint" -shellcheck= -pyflakes= "$@"
