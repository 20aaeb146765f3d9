#!/usr/bin/env bash
# End-to-end admission cost through a real Kubernetes API server (hack/provision-control-plane.sh's
# etcd, kube-apiserver, kube-controller-manager and kube-scheduler on loopback, fake nodes, the chart
# installed, the operator run out of cluster as the chart's ServiceAccount). Bounded in time; stops
# everything it started.
#
#   bench/control-plane-admission.sh                  # CREATORS=10 ROUNDS=6 DURATION=20 WARMUP=15 SETTLE=3
#   ROUNDS=8 DURATION=30 bench/control-plane-admission.sh
#
# CREATORS concurrent loops create pods in a namespace that enforces Kata, each the next as soon as the
# API server answered, for DURATION seconds per round, after WARMUP seconds with the webhooks. Rounds
# alternate between the webhooks installed and removed (with, without, without, with, ...); between
# rounds the pods are deleted and the machine settles for SETTLE seconds. Reports per round and as
# medians: creates per second, p50/p99 create latency, the reviews the operator answered per create
# (from its own counter), and CPU time per create of kube-apiserver, the
# operator (its two reviews plus its informer; in rounds without webhooks, its informer only), etcd,
# the scheduler and the controller manager (from /proc/PID/stat). Markdown tables on stdout.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
command -v dotnet >/dev/null || { echo "control-plane-admission.sh: dotnet SDK not found" >&2; exit 1; }
command -v kubectl >/dev/null || { echo "control-plane-admission.sh: kubectl not found on PATH" >&2; exit 1; }
install_if_missing go golang-go
install_package_if_missing golang-github-masterminds-sprig-dev
install_package_if_missing golang-k8s-sigs-yaml-dev

echo "== control plane" >&2
bash "$ROOT/hack/provision-control-plane.sh" >&2
echo "== building Release" >&2
dotnet build "$ROOT/bench/ControlPlaneAdmission/ControlPlaneAdmission.csproj" -c Release -m:1 -nologo -v q >/dev/null
exec dotnet "$ROOT/bench/ControlPlaneAdmission/bin/Release/net10.0/ControlPlaneAdmission.dll"
