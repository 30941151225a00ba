#!/usr/bin/env bash
# Builds ACOG's images here, where no registry can be reached: from the Debian base and the node
# image that hack/images makes, tagged as the chart's defaults expect (acog/<name>:dev).
# Usage: hack/images/build.sh [runner|operator|console ...]        (default: all)
set -euo pipefail
cd "$(dirname "$0")/../.."
source hack/node.sh
acog_ensure_node
hack/images/base-image.sh bookworm
hack/images/node-image.sh
tag=${ACOG_IMAGE_TAG:-dev}
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(runner operator console)
for name in "${names[@]}"; do
  case "$name" in
    runner) dockerfile=runners/Dockerfile ;;
    operator) dockerfile=operator/Dockerfile ;;
    console) dockerfile=console/Dockerfile ;;
    *) echo "unknown image $name (known: runner, operator, console)" >&2; exit 2 ;;
  esac
  echo "building acog/$name:$tag"
  docker build -q -f "$dockerfile" \
    --build-arg "NODE_IMAGE=acog/node:$acog_node_version" \
    --build-arg BASE_IMAGE=acog/debian:bookworm \
    -t "acog/$name:$tag" . >/dev/null
  echo "built acog/$name:$tag"
done
