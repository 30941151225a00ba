#!/usr/bin/env bash
# Makes the Debian base image that ACOG's images build FROM where no registry can be reached:
# debootstrap a minimal Debian, import it into Docker. Skipped when the image exists.
# Usage: hack/images/base-image.sh [suite] [tag]     (defaults: bookworm acog/debian:bookworm)
set -euo pipefail
suite=${1:-bookworm}
tag=${2:-acog/debian:$suite}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

if docker image inspect "$tag" >/dev/null 2>&1; then
  echo "base image $tag exists"
  exit 0
fi
command -v debootstrap >/dev/null || { echo "debootstrap is missing: apt-get install debootstrap" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "debootstrap needs root to make $tag" >&2; exit 1; }

root=$(mktemp -d /tmp/acog-rootfs.XXXXXX)
trap 'rm -rf "$root"' EXIT
echo "debootstrap $suite into $root (about a minute)"
debootstrap --variant=minbase "$suite" "$root" "$mirror" >"$root.log" 2>&1 || { tail -20 "$root.log" >&2; exit 1; }
rm -f "$root.log"
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
tar -C "$root" -c . | docker import --change 'CMD ["/bin/bash"]' --change 'ENV LANG=C.UTF-8' - "$tag" >/dev/null
echo "made base image $tag"
