#!/usr/bin/env bash
# Copies the generated CRDs and the seccomp profile into the Helm chart, which
# can only ship files from inside its own folder. The chart tests fail while
# the copies differ from these sources.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
chart="$root/charts/sandbox-operator"

for name in agentworkloads.agentsandbox.io.yaml sandboxexceptions.agentsandbox.io.yaml; do
  crd="$root/crds/$name"
  if [[ -f "$crd" ]]; then
    cp "$crd" "$chart/crds/$name"
  else
    echo "skipping CRD: $crd does not exist yet" >&2
  fi
done
cp "$root/config/seccomp/agent-restricted.json" "$chart/files/agent-restricted.json"
cp "$root/config/prometheus/alerts.yaml" "$chart/files/alerts.yaml"
cp "$root/config/grafana/sandbox-operator.json" "$chart/files/dashboard.json"
