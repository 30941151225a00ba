#!/usr/bin/env bash
# Installs everything ACOG's development and tests need, on a fresh clone:
#  - Debian packages (as root, when missing): the servers of the local control plane, ffmpeg,
#    espeak-ng, fonts, Chromium and the Docker engine;
#  - Node.js >= 22.19 (fetched from the npm registry when the machine's is older);
#  - the offline neural voice, Piper, in a Python virtual environment in the cache (hack/piper.sh);
#  - the npm workspaces (npm ci);
#  - kube-apiserver, kube-controller-manager, kube-scheduler, kubectl and MinIO, built once per
#    machine from the Go module proxy;
#  - the Docker engine started, the Debian base image ACOG's images build from, and the images.
# Safe to run again: each step is skipped when its result is there.
set -euo pipefail
cd "$(dirname "$0")/.."
source hack/node.sh
source hack/piper.sh

step() { printf '\n==> %s\n' "$*"; }

debian_packages=(etcd-server nats-server postgresql docker.io debootstrap openssl ca-certificates
  ffmpeg espeak-ng libespeak-ng-dev fonts-dejavu-core chromium python3 python3-venv)
missing=()
for package in "${debian_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    step "installing Debian packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    # Debian starts the packaged services; the tests start their own on free ports instead.
    for service in postgresql nats-server etcd; do systemctl disable --now "$service" >/dev/null 2>&1 || true; done
  else
    echo "missing Debian packages: ${missing[*]}" >&2
    echo "install them with: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi

step "Node.js"
acog_ensure_node
echo "node $(node --version), npm $(npm --version)"

step "the Piper voice (Python virtual environment in $acog_piper_dir)"
acog_ensure_piper
echo "Piper is installed in $acog_piper_dir"

step "npm workspaces"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
else
  echo "node_modules is up to date"
fi

step "server binaries (built from the Go module proxy on first use)"
if ! command -v go >/dev/null && [ -x /usr/local/go/bin/go ]; then export PATH="$PATH:/usr/local/go/bin"; fi
node hack/local-env/cli.ts install

step "Docker engine and base image"
if ! docker version >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    echo "starting dockerd (log: /tmp/acog-dockerd.log)"
    nohup dockerd >/tmp/acog-dockerd.log 2>&1 &
    for _ in $(seq 1 60); do docker version >/dev/null 2>&1 && break; sleep 1; done
    docker version >/dev/null 2>&1 || { tail -20 /tmp/acog-dockerd.log >&2; exit 1; }
  else
    echo "no Docker engine answers: start it (sudo dockerd &) and run this again" >&2
    exit 1
  fi
fi
hack/images/base-image.sh bookworm

step "images (the runner, operator and console images, for the tests that run them)"
hack/images/build.sh runner operator console
