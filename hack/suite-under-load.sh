#!/usr/bin/env bash
# Runs the whole test suite N times in a row (default 5) while busy loops keep every core busy, and prints
# one line per run and a summary. The suite must pass every time: a test that depends on timing fails here.
#   hack/suite-under-load.sh [runs] [busy-loops]
set -uo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
busy=${2:-$(nproc)}

pids=()
stop_load() { [ ${#pids[@]} -eq 0 ] || kill "${pids[@]}" 2>/dev/null; }
trap stop_load EXIT
for _ in $(seq "$busy"); do
  sha256sum /dev/zero >/dev/null 2>&1 &
  pids+=($!)
done
echo "load: $busy busy loops on $(nproc) cores"

dotnet build SandboxOperator.sln -v q -nologo >/dev/null || { echo "build failed"; exit 1; }
failures=0
for run in $(seq "$runs"); do
  log=$(mktemp)
  start=$(date +%s)
  dotnet test SandboxOperator.sln --no-build >"$log" 2>&1
  status=$?
  read -r passed failed skipped < <(grep -E '^(Passed|Failed|Skipped)! +- Failed: ' "$log" | awk -F'[:,]' '
    { f += $2; p += $4; s += $6 } END { printf "%d %d %d\n", p, f, s }')
  echo "run $run: $passed passed, $failed failed, $skipped skipped, exit $status, $(( $(date +%s) - start )) s, load $(cut -d' ' -f1-3 /proc/loadavg)"
  if [ "$status" -ne 0 ]; then
    failures=$((failures + 1))
    grep -E '^\s+Failed [A-Za-z]' "$log" | head -20
  fi
  rm -f "$log"
done
echo "$((runs - failures)) of $runs runs passed"
[ "$failures" -eq 0 ]
