#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what it needs
# (scripts/bootstrap.sh), lints, brings up the lab, then runs unit, lab-provider
# and end-to-end tests, and takes the lab down again if it started it.
#
# The lab tests of different nodes run at the same time, in three mocha runs
# whose files share no lab node (each test file works on nodes of its own; see
# test/README.md). Every file not named in a parallel group runs in the first,
# in the usual order, so a new test file is safe wherever its nodes are.
#   bash scripts/test.sh               # everything
#   bash scripts/test.sh --grep WORDS  # extra mocha arguments go to every group
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/bootstrap.sh
echo "== lint" >&2
npx eslint . && npx prettier --check . >/dev/null
export PATH="$root/.pulumi/bin:$PATH"

# Nodes ngcp4, ngcp5, ngcp13, ngcp14: TLS, backup, a node added to a converged stack, the fault matrix.
group_tls_backup=(
  dist/test/provider/tls.provider.test.js dist/test/e2e/tls.e2e.test.js
  dist/test/provider/backup.provider.test.js dist/test/e2e/backup.e2e.test.js
  dist/test/e2e/newNode.e2e.test.js dist/test/e2e/faults.e2e.test.js
)
# Nodes ngcp3, ngcp6, ngcp9-12: firewall, credentials, rollout of several stacks, converged audit, the
# provider package.
group_access=(
  dist/test/provider/firewall.test.js dist/test/e2e/firewall.e2e.test.js
  dist/test/provider/credentials.*.test.js dist/test/e2e/credentials.e2e.test.js
  dist/test/e2e/rolloutStacks.e2e.test.js dist/test/e2e/audit.converged.e2e.test.js
  dist/test/e2e/providerPackage.e2e.test.js
)
# The lab's own lifecycle tests run alone, before the groups: `lab up` replaces a node that looks unhealthy,
# and a node of another group may be restarting its services at that moment.
group_lab=(dist/test/provider/lab.test.js dist/test/e2e/cleanRun.e2e.test.js)
grouped=" ${group_lab[*]} ${group_tls_backup[*]} ${group_access[*]} "
group_main=()
for file in dist/test/unit/*.test.js dist/test/provider/*.test.js dist/test/e2e/*.test.js; do
  [[ "$grouped" == *" $file "* ]] || group_main+=("$file")
done

echo "== lab" >&2
lab_was_up=$(node -e 'console.log(require("./dist/lab").labStatus().up ? 1 : 0)')
node -e 'require("./dist/lab").labUp({ nodes: 14 }).catch((e) => { console.error(e.message); process.exit(1); })'
cleanup() {
  if [ "$lab_was_up" = 0 ] && [ "${NGCP_FLEET_LAB_KEEP:-}" != 1 ]; then
    node -e 'require("./dist/lab").labDown().catch((e) => { console.error(e.message); process.exit(1); })'
  fi
}
trap cleanup EXIT

echo "== tests" >&2
logs=$(mktemp -d)
# Every group has a budget: a test or a child process that hangs stops its group, whose log is then printed
# with where it stood, instead of the whole run going silent until CI's own limit. A group prints its log as
# soon as it ends (one at a time), so what finished is on record even if a later group is stopped.
group_budget=${NGCP_FLEET_GROUP_BUDGET:-1500}
run_group() {
  local name=$1 started=$SECONDS status=0
  shift
  NGCP_FLEET_LAB_KEEP=1 timeout --kill-after=30 "$group_budget" npx mocha --timeout 600000 "$@" \
    >"$logs/$name.log" 2>&1 || status=$?
  report_group "$name" "$status" "$((SECONDS - started))"
  return "$status"
}
report_group() {
  local name=$1 status=$2 seconds=$3
  (
    flock 9
    echo "== tests: $name (exit $status, ${seconds} s)"
    cat "$logs/$name.log"
    if [ "$status" = 124 ] || [ "$status" = 137 ]; then
      echo "== tests: $name STOPPED after its budget of ${group_budget} s; its last lines are above"
    fi
  ) 9>"$logs/.print-lock"
}
status=0
run_group 0-lab "${group_lab[@]}" "$@" || status=1
# The unit suite once more with the clock 400 days ahead (libfaketime, inherited by every child: openssl,
# sh, MariaDB): a test that passes today must not fail later because of the date.
future_clock() {
  local started=$SECONDS status=0
  (
    faketime -f +400d node -e 'process.exit(Date.now() > Date.parse(process.argv[1]) + 399 * 864e5 ? 0 : 1)' \
      "$(date -u +%FT%TZ)" || { echo "faketime did not move the clock" >&2; exit 1; }
    timeout --kill-after=30 "$group_budget" faketime -f +400d npx mocha --timeout 600000 dist/test/unit/*.test.js "$@"
  ) >"$logs/4-unit-at-now-plus-400-days.log" 2>&1 || status=$?
  report_group 4-unit-at-now-plus-400-days "$status" "$((SECONDS - started))"
  return "$status"
}
future_clock "$@" &
future_pid=$!
run_group 1-main "${group_main[@]}" "$@" &
main_pid=$!
run_group 2-tls-backup "${group_tls_backup[@]}" "$@" &
tls_pid=$!
run_group 3-access "${group_access[@]}" "$@" &
access_pid=$!
wait "$main_pid" || status=1
wait "$tls_pid" || status=1
wait "$access_pid" || status=1
wait "$future_pid" || status=1
passed=0 failed=0 skipped=0
while read -r p f s; do
  passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
done < <(sed -n 's/^mocha: \([0-9]*\) passed, \([0-9]*\) failed, \([0-9]*\) skipped$/\1 \2 \3/p' "$logs"/*.log)
echo "== all groups: $passed passed, $failed failed, $skipped skipped"
rm -rf "$logs"
exit "$status"
