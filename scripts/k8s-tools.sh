#!/usr/bin/env bash
# Build the Kubernetes tools the chart is checked with, once, into the lab's cache, and print
# the folder that holds them: helm, kubeconform (with schemas generated offline), and for
# make k8s-check kube-apiserver, kube-controller-manager, kube-scheduler and kwok.
# Usage: scripts/k8s-tools.sh lint|cluster   (lint: helm and kubeconform only)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
load_env
need_go "the chart's tools"
what="${1:-lint}"
bin="$OBSLAB_CACHE/bin/k8s"
mkdir -p "$bin"

# go_tool NAME MODULE@VERSION PACKAGE [LDFLAGS]: build PACKAGE of MODULE as the main module, from
# the proxy's source (some of these modules have replace directives, which go install refuses).
go_tool() {
  local name="$1" module="$2" package="$3" ldflags="${4:-}" out="$bin/$1-${2##*@}"
  [ -x "$out" ] || {
    local src="$OBSLAB_CACHE/src/${module//\//_}"
    go_module_source "$module" "$src"
    step "compiling $name ${module##*@} (once; kept in $bin)"
    (cd "$src" && timed "$name" go build -trimpath -ldflags "-s -w $ldflags" -o "$out.tmp" "$package") && mv "$out.tmp" "$out"
  }
  ln -sf "$(basename "$out")" "$bin/$name"
}

# The kube binaries: k8s.io/kubernetes is not buildable from its module zip alone (its go.mod
# replaces the 33 k8s.io staging modules with folders the zip leaves out), so a small wrapper
# module requires it and pins each staging module at the matching v0.x release.
kube_wrapper() {
  local dir="$OBSLAB_CACHE/src/k8s-wrapper-$KUBERNETES_VERSION" kube_src staging
  [ -f "$dir/go.sum" ] && { echo "$dir"; return; }
  kube_src=$(go mod download -json "k8s.io/kubernetes@v$KUBERNETES_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  staging=$(sed -n 's#^[[:space:]]*\(k8s.io/[a-z0-9-]*\) => ./staging/.*#\1#p' "$kube_src/go.mod")
  rm -rf "$dir" && mkdir -p "$dir"
  {
    echo "module obslab/k8s-tools"
    echo "go $(sed -n 's/^go //p' "$kube_src/go.mod")"
    echo "require k8s.io/kubernetes v$KUBERNETES_VERSION"
    for module in $staging; do echo "replace $module => $module v0.${KUBERNETES_VERSION#1.}"; done
  } >"$dir/go.mod"
  {
    echo "//go:build tools"
    echo "package tools"
    echo "import ("
    for cmd in kube-apiserver kube-controller-manager kube-scheduler; do echo "	_ \"k8s.io/kubernetes/cmd/$cmd\""; done
    echo ")"
  } >"$dir/tools.go"
  info "resolving k8s.io/kubernetes v$KUBERNETES_VERSION and its staging modules" >&2
  (cd "$dir" && go mod tidy >&2)
  echo "$dir"
}

kube_binaries() {
  local dir="" cmd out version="k8s.io/component-base/version" major minor
  major="${KUBERNETES_VERSION%%.*}" minor="${KUBERNETES_VERSION#*.}" minor="${minor%%.*}"
  for cmd in kube-apiserver kube-controller-manager kube-scheduler; do
    out="$bin/$cmd-$KUBERNETES_VERSION"
    if [ ! -x "$out" ]; then
      [ -n "$dir" ] || dir=$(kube_wrapper)
      step "compiling $cmd $KUBERNETES_VERSION (once; the first takes about 8 minutes on a cold Go cache)"
      # The version stamp, as Kubernetes' own build sets it: clients and Helm read it.
      (cd "$dir" && timed "$cmd" go build -trimpath -ldflags "-s -w -X $version.gitVersion=v$KUBERNETES_VERSION \
        -X $version.gitMajor=$major -X $version.gitMinor=$minor -X $version.gitTreeState=clean" \
        -o "$out.tmp" "k8s.io/kubernetes/cmd/$cmd") && mv "$out.tmp" "$out"
    fi
    ln -sf "$(basename "$out")" "$bin/$cmd"
  done
}

# kubeconform's schemas for the targeted Kubernetes version, generated from the swagger.json
# inside k8s.io/kubernetes with openapi2jsonschema (PyPI), as kubeconform's own scripts do.
schemas() {
  local dest="$OBSLAB_CACHE/k8s-schemas/v$KUBERNETES_VERSION-standalone-strict" kube_src venv="$OBSLAB_CACHE/venv-openapi2jsonschema"
  [ -d "$dest" ] && return
  step "generating kubeconform's schemas for Kubernetes $KUBERNETES_VERSION (once)"
  [ -x "$venv/bin/openapi2jsonschema" ] || {
    python3 -m venv "$venv"
    # --no-deps: its declared pins are old; these are the versions it works with.
    "$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps "openapi2jsonschema==$OPENAPI2JSONSCHEMA_VERSION"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "click<8" "jsonref<0.3" "colorama<0.5" PyYAML
  }
  kube_src=$(go mod download -json "k8s.io/kubernetes@v$KUBERNETES_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  rm -rf "$dest.tmp" && mkdir -p "$dest.tmp"
  (cd "$dest.tmp" && "$venv/bin/openapi2jsonschema" --kubernetes --stand-alone --strict --expanded \
    -o . "$kube_src/api/openapi-spec/swagger.json" >/dev/null)
  # openapi2jsonschema names files <kind>-<group>-<version>.json; kubeconform looks them up so.
  mv "$dest.tmp" "$dest"
  info "$(find "$dest" -name '*.json' | wc -l) schemas in $dest"
}

go_tool helm "helm.sh/helm/v4@v$HELM_VERSION" ./cmd/helm "-X helm.sh/helm/v4/internal/version.version=v$HELM_VERSION"
go_tool kubeconform "github.com/yannh/kubeconform@v$KUBECONFORM_VERSION" ./cmd/kubeconform
schemas >&2
if [ "$what" = cluster ]; then
  go_tool kwok "sigs.k8s.io/kwok@v$KWOK_VERSION" ./cmd/kwok
  # kwok's stages (how fake nodes and pods change state), from the same module.
  rm -rf "$bin/kwok-stages" && mkdir -p "$bin/kwok-stages"
  (cd "$OBSLAB_CACHE/src/sigs.k8s.io_kwok@v$KWOK_VERSION/kustomize/stage" && find . -name '*.yaml' ! -name kustomization.yaml ! -path '*/testdata/*' -exec cp --parents {} "$bin/kwok-stages/" \;)
  kube_binaries
fi
echo "$bin"
