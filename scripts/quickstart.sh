#!/usr/bin/env bash
# The README's first command: install what is needed, bring up the embedded lab
# (default 3 nodes) and converge it with a real `pulumi up` on the lab stack.
#   bash scripts/quickstart.sh [--nodes N]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
nodes=3
while [ $# -gt 0 ]; do
  case "$1" in
    --nodes) nodes="$2"; shift 2 ;;
    *) echo "usage: $0 [--nodes N]" >&2; exit 2 ;;
  esac
done
bash scripts/bootstrap.sh
[ -f dist/cli/main.js ] || npm run build
# A lab already running with more nodes (tests, other work) keeps them: the lab stack lists ngcp1..N only.
running=$(node bin/ngcp-fleet lab status --json | node -e \
  'let s="";process.stdin.on("data",(d)=>(s+=d)).on("end",()=>console.log(JSON.parse(s).nodes.length))')
lab_nodes=$(( running > nodes ? running : nodes ))
# Writes stacks/Pulumi.lab.yaml with every feature on, and sets its passwords (random, stack secrets) once.
node bin/ngcp-fleet lab up --nodes "$lab_nodes" --stack-nodes "$nodes"
eval "$(node bin/ngcp-fleet env --stack lab)"
pulumi stack select lab 2>/dev/null || pulumi stack init lab --secrets-provider passphrase
# --refresh: the state may describe an earlier lab (`lab down` keeps it); read the nodes as they are now.
pulumi up --stack lab --yes --refresh
echo
echo "The lab is converged. Try:  eval \"\$(npx ngcp-fleet env)\" && pulumi preview --stack lab"
echo "Take it down with:         npx ngcp-fleet lab down"
