#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what it needs
# (scripts/bootstrap.sh), lints, then runs unit, lab-provider and end-to-end
# tests in one mocha run against a lab it brings up and takes down itself.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/bootstrap.sh
echo "== lint" >&2
npx eslint . && npx prettier --check . >/dev/null
echo "== tests" >&2
export PATH="$root/.pulumi/bin:$PATH"
exec npx mocha --timeout 600000 \
  'dist/test/unit/**/*.test.js' 'dist/test/provider/**/*.test.js' 'dist/test/e2e/**/*.test.js' "$@"
