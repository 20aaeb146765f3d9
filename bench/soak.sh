#!/usr/bin/env bash
# Soak test of the admission webhook: a fixed 1,000 reviews/s over HTTP/2 on loopback for DURATION
# seconds, mixed traffic, while the operator's resident memory is sampled. Bounded in time; stops by itself.
#
#   bench/soak.sh                     # DURATION=300 RATE=1000 SAMPLE=10 WARMUP=20
#   DURATION=60 bench/soak.sh         # a short run
#
# Traffic: four h2load processes in parallel, each 5 clients x RATE/20 req/s (RATE/4 per body):
#   /mutate   a ReplicaSet's pod in a managed namespace  -> allowed with a JSON patch (runtimeClassName kata)
#   /validate an MCP server pod on gVisor                -> denied, code 403
#   /validate a Deployment of a Tool workload            -> allowed
#   /validate an agent pod in an audit-mode namespace    -> allowed with warnings (audit-mode violation logged)
# Every body is checked for its expected answer before the run.
#
# Reports: requests sent and answered with 200, errors (h2load failed/errored/timeouts and non-200 statuses),
# achieved rate, p50/p99/max latency (per request, from h2load --log-file), and VmRSS of the operator
# process (/proc/PID/status) every SAMPLE seconds with the least-squares slope in MiB/min.
set -euo pipefail

DURATION="${DURATION:-300}"
RATE="${RATE:-1000}"
SAMPLE="${SAMPLE:-10}"
WARMUP="${WARMUP:-20}"
OP_PORT="${OP_PORT:-19543}"
HEALTH_PORT="${HEALTH_PORT:-19581}"
METRICS_PORT="${METRICS_PORT:-19580}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TMP="$(mktemp -d "${TMPDIR:-/tmp}/webhook-soak.XXXXXX")"
PIDS=()
OP_PID=""

cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  [ -z "$OP_PID" ] || kill "$OP_PID" 2>/dev/null || true
  for pid in "${PIDS[@]}" $OP_PID; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT

# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
install_if_missing h2load nghttp2-client
install_if_missing curl curl
command -v dotnet >/dev/null || { echo "soak.sh: dotnet SDK not found" >&2; exit 1; }
PER_CLIENT=$(( RATE / 20 ))
[ "$PER_CLIENT" -ge 1 ] || { echo "soak.sh: RATE must be at least 20" >&2; exit 2; }

echo "== building Release" >&2
dotnet build "$ROOT/src/SandboxOperator/SandboxOperator.csproj" -c Release -m:1 -nologo -v q >/dev/null
OP_DLL="$ROOT/src/SandboxOperator/bin/Release/net10.0/sandbox-operator.dll"

STATE="${STATE_DIR:-$ROOT/bench/state}"

R="$ROOT/bench/reviews"
# name path body expected-grep
MIX=(
  "mutate-pod /mutate $R/pod-create-mutate.json \"patchType\":\"JSONPatch\""
  "denied-mcp-pod /validate $R/mcp-pod-denied.json \"allowed\":false,\"status\":{\"status\":\"Failure\",\"code\":403"
  "allowed-deployment /validate $R/deployment-allowed.json \"allowed\":true"
  "audit-namespace-pod /validate $R/audit-pod.json \"allowed\":true,\"warnings\""
)

echo "== starting sandbox-operator" >&2
DOTNET_gcServer=0 dotnet "$OP_DLL" --state-dir "$STATE" --bind-address 127.0.0.1 \
  --webhook-port "$OP_PORT" --health-port "$HEALTH_PORT" --metrics-port "$METRICS_PORT" \
  --log-level warn --shutdown-delay 0 >"$TMP/operator.log" 2>&1 &
OP_PID=$!
for _ in $(seq 1 150); do
  curl -sf -o /dev/null "http://127.0.0.1:$HEALTH_PORT/readyz" 2>/dev/null && break
  kill -0 "$OP_PID" 2>/dev/null || { echo "soak.sh: the operator exited (see $TMP/operator.log)" >&2; exit 1; }
  sleep 0.2
done
curl -sf -o /dev/null "http://127.0.0.1:$HEALTH_PORT/readyz" || { echo "soak.sh: the operator did not become ready" >&2; exit 1; }

for entry in "${MIX[@]}"; do
  read -r name path body expected <<<"$entry"
  out="$(curl -sk "https://127.0.0.1:$OP_PORT$path" -H 'content-type: application/json' --data-binary @"$body")"
  case "$out" in
    *"$expected"*) ;;
    *) echo "soak.sh: $name did not answer as expected ($expected): $out" >&2; exit 1 ;;
  esac
done

run_mix() { # <seconds> <log prefix>
  local pids=() entry name path body expected
  for entry in "${MIX[@]}"; do
    read -r name path body expected <<<"$entry"
    timeout $(( $1 + 60 )) h2load -c5 -m1 -t1 --rps="$PER_CLIENT" -D"$1" -d "$body" -H 'content-type: application/json' \
      --log-file="$TMP/$2-$name.log" "https://127.0.0.1:$OP_PORT$path" >"$TMP/$2-$name.out" 2>&1 &
    pids+=($!)
  done
  local rc=0
  for pid in "${pids[@]}"; do wait "$pid" || rc=1; done
  return $rc
}

if [ "$WARMUP" -gt 0 ]; then
  echo "== warm-up: ${WARMUP}s at $RATE req/s (not counted)" >&2
  run_mix "$WARMUP" warmup || true
fi

echo "== soak: ${DURATION}s at $RATE req/s, RSS every ${SAMPLE}s" >&2
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$OP_PID/status"; }
(
  t=0
  while [ "$t" -le "$DURATION" ]; do
    echo "$t $(rss_kib)"
    sleep "$SAMPLE"
    t=$(( t + SAMPLE ))
  done
) >"$TMP/rss.txt" &
SAMPLER=$!
PIDS+=("$SAMPLER")
LOAD_BEFORE="$(cut -d" " -f1-3 /proc/loadavg)"
SOAK_RC=0
run_mix "$DURATION" soak || SOAK_RC=1
wait "$SAMPLER" 2>/dev/null || true
ALIVE=yes; kill -0 "$OP_PID" 2>/dev/null || ALIVE=no

# h2load: "requests: N total, N started, N done, N succeeded, N failed, N errored, N timeout"
TOTALS="$(cat "$TMP"/soak-*.out | awk '/^requests:/ {t+=$2; s+=$8; f+=$10; e+=$12; to+=$14} END {printf "%d %d %d %d %d", t, s, f, e, to}')"
read -r SENT SUCCEEDED FAILED ERRORED TIMEOUTS <<<"$TOTALS"
cat "$TMP"/soak-*.log >"$TMP/all.log"
NON200="$(awk '$2 != 200' "$TMP/all.log" | wc -l)"
ANSWERED="$(awk '$2 == 200' "$TMP/all.log" | wc -l)"
read -r P50 P99 MAX <<<"$(awk '$2 == 200 {print $3}' "$TMP/all.log" | sort -n | awk '{a[NR]=$1} END {
  if (NR == 0) {print "nan nan nan"; exit}
  i50=int(NR*0.50); if (i50<1) i50=1; i99=int(NR*0.99); if (i99<1) i99=1;
  printf "%.2f %.2f %.2f\n", a[i50]/1000, a[i99]/1000, a[NR]/1000}')"
ERRORS=$(( FAILED + ERRORED + TIMEOUTS + NON200 ))
ZERO_ERRORS=no; [ "$ERRORS" -eq 0 ] && [ "$SOAK_RC" -eq 0 ] && [ "$ALIVE" = yes ] && [ "$SENT" -gt 0 ] && ZERO_ERRORS=yes

# Least-squares slope of RSS (MiB) over time (min).
SLOPE="$(awk '{x=$1/60; y=$2/1024; n++; sx+=x; sy+=y; sxx+=x*x; sxy+=x*y} END {
  d=n*sxx-sx*sx; if (n < 2 || d == 0) {print "nan"; exit}; printf "%+.3f", (n*sxy-sx*sy)/d}' "$TMP/rss.txt")"
HALF=$(( DURATION / 2 ))
SLOPE2="$(awk -v h="$HALF" '$1 >= h {x=$1/60; y=$2/1024; n++; sx+=x; sy+=y; sxx+=x*x; sxy+=x*y} END {
  d=n*sxx-sx*sx; if (n < 2 || d == 0) {print "nan"; exit}; printf "%+.3f", (n*sxy-sx*sy)/d}' "$TMP/rss.txt")"

{
  echo "Webhook soak ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs shared by the operator and h2load, loopback, HTTP/2 over TLS)"
  echo "load average before: $LOAD_BEFORE, after: $(cut -d" " -f1-3 /proc/loadavg)"
  echo "DURATION=${DURATION}s RATE=${RATE}/s (4 bodies x 5 clients x ${PER_CLIENT}/s) WARMUP=${WARMUP}s SAMPLE=${SAMPLE}s"
  echo
  echo "| figure | value |"
  echo "|---|---|"
  echo "| requests sent | $SENT |"
  echo "| answered HTTP 200 | $ANSWERED |"
  echo "| achieved rate | $(awk -v n="$ANSWERED" -v d="$DURATION" 'BEGIN {printf "%.0f req/s", n/d}') |"
  echo "| errors (failed + errored + timeout + non-200) | $ERRORS ($FAILED + $ERRORED + $TIMEOUTS + $NON200) |"
  echo "| operator still running | $ALIVE |"
  echo "| zero errors | $ZERO_ERRORS |"
  echo "| latency p50 / p99 / max | $P50 / $P99 / $MAX ms |"
  echo "| RSS slope, whole run | $SLOPE MiB/min |"
  echo "| RSS slope, second half | $SLOPE2 MiB/min |"
  echo
  echo "RSS (VmRSS of the operator, MiB) every ${SAMPLE}s:"
  echo
  awk '{printf "%s%.1f", (NR>1 ? ", " : ""), $2/1024} END {print ""}' "$TMP/rss.txt"
  echo
  echo "per body:"
  for entry in "${MIX[@]}"; do
    read -r name _ _ _ <<<"$entry"
    awk -v n="$name" '$2 == 200 {c++} $2 != 200 {e++} END {printf "  %s: %d answered, %d non-200\n", n, c, e}' "$TMP/soak-$name.log"
  done
} | tee "$TMP/results.md"
echo "raw output: $TMP" >&2
[ "$ZERO_ERRORS" = yes ]
