#!/usr/bin/env bash
# Builds the krew package of kubectl-acog from this tree and writes its version, uri and sha256
# into acog.yaml beside this script. The package is the plugin as it runs here: bin/ (the
# kubectl-acog launcher and kubectl_complete-acog), src/, package.json, and node_modules/ with the
# production dependencies installed in the repository (`npm ls --omit=dev`). The workspace
# packages (@acog/api, @acog/runners) go to packages/: Node strips TypeScript types only outside
# node_modules, and krew unpacks no symlinks, so the launcher links node_modules/@acog/* to them
# on its first run. Tests are left out. The archive is reproducible: sorted entries, fixed times
# and owners, gzip without a timestamp.
#
#   kubectl-plugin/krew/package.sh [OUT_DIR]     (default: out/krew; needs `npm ci` done)
#
# Upload OUT_DIR/kubectl-acog-vX.Y.Z.tar.gz to the release the uri names, then publish acog.yaml.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
plugin=$(dirname "$here")
repo=$(dirname "$plugin")
out=${1:-$repo/out/krew}
version=v$(node -p "require(process.argv[1]).version" "$plugin/package.json")
release_base=${ACOG_RELEASE_BASE:-https://acog.dev/releases}
homepage=${ACOG_HOMEPAGE:-https://acog.dev}

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
root=$stage/kubectl-acog
mkdir -p "$root/node_modules" "$out"

# copy SRC DST [TAR_OPTION...]: a folder's files without tests and without its node_modules (listed separately).
copy() {
  mkdir -p "$2"
  tar -C "$1" --exclude='./node_modules' --exclude='*.test.ts' "${@:3}" -cf - . | tar -C "$2" -xf -
}

copy "$plugin/bin" "$root/bin"
# src/testing.ts is the tests' harness.
copy "$plugin/src" "$root/src" --exclude='./testing.ts'
cp "$plugin/package.json" "$root/package.json"

# Where each workspace folder goes in the package.
declare -A workspace_target
for link in "$repo"/node_modules/@acog/*; do
  [ -L "$link" ] || continue
  workspace_target[$(cd "$link" && pwd -P)]=$root/packages/$(basename "$link")
done
mkdir -p "$root/node_modules/@acog"

(cd "$repo" && npm ls --omit=dev --workspace kubectl-plugin --all --parseable 2>/dev/null) | while IFS= read -r path; do
  case $path in
    "$repo" | "$plugin") continue ;;
    "$repo"/node_modules/@acog/kubectl-plugin) continue ;;
    "$repo"/node_modules/@acog/*) target=$root/packages/${path#"$repo"/node_modules/@acog/} ;;
    "$repo"/node_modules/*) target=$root/node_modules/${path#"$repo"/node_modules/} ;;
    *)
      workspace=${path%%/node_modules/*}
      target=${workspace_target[$workspace]:?"no workspace link for $workspace"}/node_modules/${path#"$workspace"/node_modules/}
      ;;
  esac
  if [ -L "$path" ]; then
    # A workspace package (a link to its folder): its files, in packages/.
    copy "$(cd "$path" && pwd -P)" "$target"
  else
    copy "$path" "$target"
  fi
done

archive=$out/kubectl-acog-$version.tar.gz
tar -C "$stage" --sort=name --mtime='2000-01-01 00:00:00Z' --owner=0 --group=0 --numeric-owner --mode='u+rw,go+r,go-w' \
  -cf - kubectl-acog | gzip -n -9 >"$archive"
sha=$(sha256sum "$archive" | cut -d' ' -f1)

manifest=$here/acog.yaml
sed -i \
  -e "s|^  version: .*|  version: $version|" \
  -e "s|^  homepage: .*|  homepage: $homepage|" \
  -e "s|^      uri: .*|      uri: $release_base/$version/kubectl-acog-$version.tar.gz|" \
  -e "s|^      sha256: .*|      sha256: $sha|" \
  "$manifest"
echo "$archive ($(du -h "$archive" | cut -f1)), sha256 $sha; $manifest updated"
