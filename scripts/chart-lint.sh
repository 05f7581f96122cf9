#!/usr/bin/env bash
# make lint's check of the chart (chart/): helm lint, and every manifest both value sets render
# validated by kubeconform -strict against the schemas of the Kubernetes version in .env.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
load_env
bin=$("$OBSLAB_ROOT/scripts/k8s-tools.sh" lint)
schemas="$OBSLAB_CACHE/k8s-schemas/v$KUBERNETES_VERSION-standalone-strict"
cd "$OBSLAB_ROOT"
# Helm notes each linked file it follows (chart/files/ links to the components' configs).
quiet() { grep -v 'found symbolic link in path' || true; }
for values in laptop scaled; do
  step "chart, $values values: helm lint, then kubeconform against Kubernetes $KUBERNETES_VERSION"
  "$bin/helm" lint --strict chart -f "chart/values-$values.yaml" 2>&1 | quiet
  [ "${PIPESTATUS[0]}" -eq 0 ] || die "helm lint failed for values-$values.yaml"
  "$bin/helm" template obslab chart -f "chart/values-$values.yaml" --kube-version "$KUBERNETES_VERSION" 2> >(quiet >&2) |
    "$bin/kubeconform" -strict -summary -kubernetes-version "$KUBERNETES_VERSION" \
      -schema-location "$schemas/{{ .ResourceKind }}{{ .KindSuffix }}.json"
done
