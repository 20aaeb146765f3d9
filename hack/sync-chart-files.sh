#!/usr/bin/env bash
# Copies the generated CRD and the seccomp profile into the Helm chart, which
# can only ship files from inside its own folder. The chart tests fail while
# the copies differ from these sources.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
chart="$root/charts/sandbox-operator"

crd="$root/crds/agentworkloads.agentsandbox.io.yaml"
if [[ -f "$crd" ]]; then
  cp "$crd" "$chart/crds/agentworkloads.agentsandbox.io.yaml"
else
  echo "skipping CRD: $crd does not exist yet" >&2
fi
cp "$root/config/seccomp/agent-restricted.json" "$chart/files/agent-restricted.json"
cp "$root/config/prometheus/alerts.yaml" "$chart/files/alerts.yaml"
cp "$root/config/grafana/sandbox-operator.json" "$chart/files/dashboard.json"
