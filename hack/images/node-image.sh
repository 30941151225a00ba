#!/usr/bin/env bash
# Makes acog/node:<version> — Node.js and npm on the local Debian base — standing in for the public
# node image where no registry can be reached. Node comes from the cache hack/node.sh fills, npm
# from the npm registry. Skipped when the image exists.
set -euo pipefail
cd "$(dirname "$0")/../.."
source hack/node.sh
acog_ensure_node
tag=acog/node:$acog_node_version
if docker image inspect "$tag" >/dev/null 2>&1; then echo "node image $tag exists"; exit 0; fi
hack/images/base-image.sh bookworm
context=$(mktemp -d)
trap 'rm -rf "$context"' EXIT
cp "$(command -v node)" "$context/node"
(cd "$context" && npm pack --silent "npm@$(npm --version)" >/dev/null && mkdir npm && tar -xzf npm-*.tgz -C npm --strip-components=1 && rm npm-*.tgz)
# This machine's own trust anchors (e.g. a TLS-inspecting proxy in front of the registry), so npm
# inside the build trusts what npm on the host trusts.
mkdir "$context/ca"
cp /usr/local/share/ca-certificates/*.crt "$context/ca/" 2>/dev/null || true
cat >"$context/Dockerfile" <<DOCKERFILE
FROM acog/debian:bookworm
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ca-certificates && rm -rf /var/lib/apt/lists/*
COPY ca/ /usr/local/share/ca-certificates/
RUN update-ca-certificates >/dev/null
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
COPY node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx && node --version && npm --version
DOCKERFILE
docker build -q -t "$tag" "$context" >/dev/null
echo "made node image $tag"
