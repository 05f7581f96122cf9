#!/usr/bin/env bash
# make k8s-images: the images the Helm chart runs are the ones compose runs (both profiles). Make
# sure they exist here, then with REGISTRY=<host>/<path> tag each as <registry>/<name> and push
# it (install the chart with --set images.registry=<registry>); without, list them and say how
# to load them into a local cluster's nodes.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
load_env
cd "$OBSLAB_ROOT"
registry="${REGISTRY:-}"
compose=(docker compose -f compose.yaml -f compose.scale.yaml --profile '*')
step "building the lab's images (make images, then compose's own builds)"
scripts/build-images.sh
"${compose[@]}" build --quiet
mapfile -t images < <("${compose[@]}" config --images | sort -u)
for image in "${images[@]}"; do
  image_present "$image" || die "$image is missing after the build"
done
if [ -z "$registry" ]; then
  step "the chart's ${#images[@]} images, present here:"
  printf '    %s\n' "${images[@]}"
  info "kind:     kind load docker-image ${images[*]}"
  info "k3s:      docker save ${images[*]} | k3s ctr images import -"
  info "registry: make k8s-images REGISTRY=registry.example.com/obslab, then helm install ... --set images.registry=registry.example.com/obslab"
  exit 0
fi
step "pushing ${#images[@]} images to $registry"
for image in "${images[@]}"; do
  docker tag "$image" "$registry/$image"
  docker push --quiet "$registry/$image" || die "could not push $registry/$image (docker login ${registry%%/*}?)"
done
info "install with: helm install obslab chart -f chart/values-<laptop|scaled>.yaml --set images.registry=$registry"
