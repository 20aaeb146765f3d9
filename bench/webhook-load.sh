#!/usr/bin/env bash
# Load test of the admission webhook against a bare Kestrel HTTPS endpoint answering fixed
# AdmissionReviews of the same size (bench/BareEndpoint). Loopback only; bounded in time; stops by itself.
#
#   bench/webhook-load.sh                 # DURATION=10 WARMUP=15 ROUNDS=3 CONNECTIONS=16 by default
#   DURATION=20 CONNECTIONS=32 bench/webhook-load.sh
#
# Reports, for POST /mutate and POST /validate with a realistic 3-container pod review:
#   * throughput of the operator and of the bare endpoint with wrk (HTTP/1.1) and h2load (HTTP/2),
#     and their ratio (target >= 60 %). The two servers are measured in ROUNDS alternating rounds
#     (operator then bare, then bare then operator, ...), so a slow spell of the machine hits both;
#     the table gives the medians, the ratio of the medians and the range of the per-round ratios, and
#     the CPU time each server used per request (from /proc/PID/stat), which machine noise moves less;
#   * p99 latency at a fixed 1,000 req/s, generated with `h2load --rps` (10 clients x 100 req/s,
#     HTTP/2, per-request times from --log-file) (target <= 2.5 ms).
set -euo pipefail

DURATION="${DURATION:-10}"
WARMUP="${WARMUP:-15}"  # tiered JIT needs 10-15 s of saturating traffic to reach steady state
ROUNDS="${ROUNDS:-3}"
CONNECTIONS="${CONNECTIONS:-16}"
OP_PORT="${OP_PORT:-19443}"
HEALTH_PORT="${HEALTH_PORT:-19081}"
METRICS_PORT="${METRICS_PORT:-19080}"
BARE_PORT="${BARE_PORT:-19444}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TMP="$(mktemp -d "${TMPDIR:-/tmp}/webhook-load.XXXXXX")"
PIDS=()

cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT

# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
install_if_missing wrk wrk
install_if_missing h2load nghttp2-client
install_if_missing curl curl
command -v dotnet >/dev/null || { echo "webhook-load.sh: dotnet SDK not found" >&2; exit 1; }

echo "== building Release" >&2
dotnet build "$ROOT/src/SandboxOperator/SandboxOperator.csproj" -c Release -m:1 -nologo -v q >/dev/null
dotnet build "$ROOT/bench/BareEndpoint/BareEndpoint.csproj" -c Release -m:1 -nologo -v q >/dev/null
OP_DLL="$ROOT/src/SandboxOperator/bin/Release/net10.0/sandbox-operator.dll"
BARE_DLL="$ROOT/bench/BareEndpoint/bin/Release/net10.0/BareEndpoint.dll"

# The cluster state the reviews are decided against (namespaces, RuntimeClasses, AgentWorkloads).
STATE="${STATE_DIR:-$ROOT/bench/state}"

MUTATE_REVIEW="$ROOT/bench/reviews/pod-create-mutate.json"
VALIDATE_REVIEW="$ROOT/bench/reviews/pod-create-validate.json"

wait_for() { # <url> <what>
  for _ in $(seq 1 150); do
    curl -skf -o /dev/null "$1" -H 'content-type: application/json' --data-binary @"$MUTATE_REVIEW" 2>/dev/null && return 0
    curl -sf -o /dev/null "$1" 2>/dev/null && return 0
    sleep 0.2
  done
  echo "webhook-load.sh: $2 did not come up (see $TMP)" >&2
  exit 1
}

echo "== starting sandbox-operator and BareEndpoint" >&2
DOTNET_gcServer=0 dotnet "$OP_DLL" --state-dir "$STATE" --bind-address 127.0.0.1 \
  --webhook-port "$OP_PORT" --health-port "$HEALTH_PORT" --metrics-port "$METRICS_PORT" \
  --log-level warn --shutdown-delay 0 >"$TMP/operator.log" 2>&1 &
PIDS+=($!)
OP_PID=$!
wait_for "http://127.0.0.1:$HEALTH_PORT/readyz" "sandbox-operator"

curl -sk "https://127.0.0.1:$OP_PORT/mutate" -H 'content-type: application/json' --data-binary @"$MUTATE_REVIEW" >"$TMP/mutate-response.json"
curl -sk "https://127.0.0.1:$OP_PORT/validate" -H 'content-type: application/json' --data-binary @"$VALIDATE_REVIEW" >"$TMP/validate-response.json"
grep -q '"patchType":"JSONPatch"' "$TMP/mutate-response.json" || { echo "webhook-load.sh: /mutate did not return a patch: $(cat "$TMP/mutate-response.json")" >&2; exit 1; }
grep -q '"allowed":true' "$TMP/validate-response.json" || { echo "webhook-load.sh: /validate did not allow the mutated pod: $(cat "$TMP/validate-response.json")" >&2; exit 1; }

dotnet "$BARE_DLL" "$BARE_PORT" "$TMP/mutate-response.json" "$TMP/validate-response.json" >"$TMP/bare.log" 2>&1 &
PIDS+=($!)
BARE_PID=$!
wait_for "https://127.0.0.1:$BARE_PORT/mutate" "BareEndpoint"

wrk_run() { # <url> <review file> <seconds> -> "rps p99ms"
  local out
  out="$(REVIEW_FILE="$2" wrk -t1 -c"$CONNECTIONS" -d"$3"s --latency -s "$ROOT/bench/post-review.lua" "$1")"
  echo "$out" >>"$TMP/wrk.txt"
  local rps p99 errors
  rps="$(echo "$out" | awk '/^Requests\/sec:/ {print $2}')"
  p99="$(echo "$out" | awk '$1=="99%" {v=$2; if (v ~ /us$/) {sub(/us$/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else if (v ~ /s$/) {sub(/s$/,"",v); v=v*1000}; printf "%.2f", v}')"
  errors="$(echo "$out" | awk '/Non-2xx|Socket errors/ {print}')"
  [ -z "$errors" ] || echo "warning: $1: $errors" >&2
  echo "$rps $p99"
}

h2_run() { # <url> <review file> -> rps
  local out
  out="$(h2load -c"$CONNECTIONS" -m8 -t1 -D"$DURATION" -d "$2" -H 'content-type: application/json' "$1")"
  echo "$out" >>"$TMP/h2load.txt"
  echo "$out" | awk '/^finished in/ {gsub(",","",$4); print $4}'
}

h2_fixed_rate() { # <url> <review file> -> "achieved_rps p50ms p99ms"
  local log="$TMP/h2-rate-$RANDOM.log"
  h2load -c10 -m1 -t1 --rps=100 -D"$DURATION" -d "$2" -H 'content-type: application/json' --log-file="$log" "$1" >>"$TMP/h2load.txt"
  awk -v d="$DURATION" '$2==200 {print $3}' "$log" | sort -n | awk -v d="$DURATION" '{a[NR]=$1} END {
    if (NR == 0) {print "0 nan nan"; exit}
    i50=int(NR*0.50); if (i50<1) i50=1; i99=int(NR*0.99); if (i99<1) i99=1;
    printf "%.0f %.2f %.2f\n", NR/d, a[i50]/1000, a[i99]/1000}'
}

declare -A R
LOAD_BEFORE="$(cut -d" " -f1-3 /proc/loadavg)"
echo "== warm-up (${WARMUP}s per endpoint; tiered JIT reaches steady state)" >&2
for target in "op:$OP_PORT" "bare:$BARE_PORT"; do
  port="${target#*:}"
  for path in mutate validate; do
    file="$MUTATE_REVIEW"; [ "$path" = validate ] && file="$VALIDATE_REVIEW"
    wrk_run "https://127.0.0.1:$port/$path" "$file" "$WARMUP" >/dev/null
  done
done

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# One saturating run of <tool> against <name> (op or bare): appends "rps cpu_us_per_request" to R[...].
measure() { # <name> <path> <file> <tool>
  local name="$1" path="$2" file="$3" tool="$4" port pid t0 t1 rps p99
  port="$OP_PORT"; pid="$OP_PID"
  [ "$name" = bare ] && { port="$BARE_PORT"; pid="$BARE_PID"; }
  echo "== $name /$path: $tool ${DURATION}s, c=$CONNECTIONS" >&2
  t0="$(cpu_ticks "$pid")"
  if [ "$tool" = wrk ]; then
    read -r rps p99 < <(wrk_run "https://127.0.0.1:$port/$path" "$file" "$DURATION")
    R[$name.$path.wrkp99]="${R[$name.$path.wrkp99]:-} $p99"
  else
    rps="$(h2_run "https://127.0.0.1:$port/$path" "$file")"
  fi
  t1="$(cpu_ticks "$pid")"
  R[$name.$path.$tool]="${R[$name.$path.$tool]:-} $rps"
  R[$name.$path.$tool.cpu]="${R[$name.$path.$tool.cpu]:-} $(awk -v t=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" -v r="$rps" -v d="$DURATION" 'BEGIN { printf "%.1f", (r > 0 ? t / hz * 1e6 / (r * d) : 0) }')"
}

for path in mutate validate; do
  file="$MUTATE_REVIEW"; [ "$path" = validate ] && file="$VALIDATE_REVIEW"
  for tool in wrk h2; do
    for round in $(seq 1 "$ROUNDS"); do
      if [ $((round % 2)) -eq 1 ]; then order="op bare"; else order="bare op"; fi
      for name in $order; do measure "$name" "$path" "$file" "$tool"; done
    done
  done
  for name in op bare; do
    url="https://127.0.0.1:$OP_PORT/$path"; [ "$name" = bare ] && url="https://127.0.0.1:$BARE_PORT/$path"
    echo "== $name /$path: h2load --rps 1000 req/s total ${DURATION}s" >&2
    read -r "R[$name.$path.rate]" "R[$name.$path.p50]" "R[$name.$path.p99]" < <(h2_fixed_rate "$url" "$file")
  done
done

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END { if (NR == 0) print "n/a"; else if (NR % 2) print a[(NR+1)/2]; else printf "%.1f\n", (a[NR/2] + a[NR/2+1]) / 2 }'; }
# The range of the ratios of the paired rounds: "min-max %".
round_ratios() { # <operator values> <bare values>
  paste -d' ' <(echo "$1" | tr ' ' '\n' | grep -v '^$') <(echo "$2" | tr ' ' '\n' | grep -v '^$') |
    awk '$2 > 0 { r = 100 * $1 / $2; if (NR == 1 || r < lo) lo = r; if (NR == 1 || r > hi) hi = r } END { printf "%.0f-%.0f %%", lo, hi }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.0f %%", 100*a/b; else print "n/a" }'; }
{
  echo "Webhook load ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs shared by server and load generator, loopback, TLS 1.3)"
  echo "load average before: $LOAD_BEFORE, after: $(cut -d" " -f1-3 /proc/loadavg) (other processes on the machine skew every figure)"
  echo "DURATION=${DURATION}s WARMUP=${WARMUP}s ROUNDS=$ROUNDS CONNECTIONS=$CONNECTIONS; review bodies: mutate $(wc -c <"$MUTATE_REVIEW") B, validate $(wc -c <"$VALIDATE_REVIEW") B; responses: mutate $(wc -c <"$TMP/mutate-response.json") B, validate $(wc -c <"$TMP/validate-response.json") B"
  echo
  echo "Throughput, medians of $ROUNDS alternating rounds of ${DURATION}s (wrk: HTTP/1.1; h2load: HTTP/2, -m8); ratio of the medians (per-round range); CPU time per request:"
  echo
  echo "| endpoint | tool | operator req/s | bare req/s | ratio (rounds) | operator CPU/req | bare CPU/req | operator p99 (wrk) |"
  echo "|---|---|---|---|---|---|---|---|"
  for path in mutate validate; do
    for tool in wrk h2; do
      op="$(echo "${R[op.$path.$tool]}" | median)"; bare="$(echo "${R[bare.$path.$tool]}" | median)"
      p99="-"; [ "$tool" = wrk ] && p99="$(echo "${R[op.$path.wrkp99]}" | median) ms"
      label="wrk"; [ "$tool" = h2 ] && label="h2load"
      echo "| /$path | $label | $op | $bare | **$(ratio "$op" "$bare")** ($(round_ratios "${R[op.$path.$tool]}" "${R[bare.$path.$tool]}")) | $(echo "${R[op.$path.$tool.cpu]}" | median) µs | $(echo "${R[bare.$path.$tool.cpu]}" | median) µs | $p99 |"
    done
  done
  echo
  echo "Fixed rate (h2load --rps=100 x 10 clients = 1,000 req/s, HTTP/2, ${DURATION}s):"
  echo
  echo "| endpoint | target | achieved req/s | p50 | p99 |"
  echo "|---|---|---|---|---|"
  for path in mutate validate; do
    for name in op bare; do
      label="operator"; [ "$name" = bare ] && label="bare"
      echo "| /$path | $label | ${R[$name.$path.rate]} | ${R[$name.$path.p50]} ms | ${R[$name.$path.p99]} ms |"
    done
  done
} | tee "$TMP/results.md"
echo "raw output: $TMP/wrk.txt $TMP/h2load.txt" >&2
