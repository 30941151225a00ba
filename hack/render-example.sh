#!/usr/bin/env bash
# The README's first command: renders examples/ into out/ on this machine, no cluster, no keys.
# Installs what is missing first: Node.js (when the machine's is older than 22.19), the npm
# packages, as root ffmpeg, espeak-ng and fonts from Debian, and the Piper voice (hack/piper.sh;
# without it, English is spoken by espeak-ng). Arguments go to render.
set -euo pipefail
cd "$(dirname "$0")/.."
source hack/node.sh
source hack/piper.sh

missing=()
command -v ffmpeg >/dev/null || missing+=(ffmpeg)
command -v espeak-ng >/dev/null || missing+=(espeak-ng)
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf ] || missing+=(fonts-dejavu-core)
python3 -c 'import venv, ensurepip' 2>/dev/null || missing+=(python3 python3-venv)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing ${missing[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "render needs ${missing[*]}: install them (Debian/Ubuntu: sudo apt-get install ${missing[*]}) and run this again" >&2
    exit 1
  fi
fi
acog_ensure_node
acog_ensure_piper || true
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
exec node kubectl-plugin/src/cli.ts render -f examples/channel.yaml -f examples/episode.yaml --out out "$@"
