# Sourced by hack/*.sh: puts a Node.js of at least 22.19 first on PATH. When the machine's
# is older (or missing), the version in .nvmrc is fetched once from the npm registry, where
# the Node.js project publishes its builds as node-linux-<arch>, into the ACOG cache.
acog_cache=${ACOG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/acog}
acog_node_version=$(cat "$(dirname "${BASH_SOURCE[0]}")/../.nvmrc")

acog_node_ok() {
  command -v node >/dev/null 2>&1 &&
    node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>22||(a===22&&b>=19)?0:1)' 2>/dev/null
}

acog_ensure_node() {
  local dir="$acog_cache/node-v$acog_node_version"
  if [ -x "$dir/bin/node" ]; then
    export PATH="$dir/bin:$PATH"
  fi
  acog_node_ok && return 0
  local arch
  case "$(uname -m)" in
    x86_64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) echo "no Node.js build for $(uname -m): install Node.js >= 22.19 yourself" >&2; return 1 ;;
  esac
  echo "Node.js $(node --version 2>/dev/null || echo 'is missing') is older than 22.19: fetching $acog_node_version into $dir" >&2
  local tmp
  tmp=$(mktemp -d)
  if command -v npm >/dev/null 2>&1; then
    (cd "$tmp" && npm pack --silent "node-linux-$arch@$acog_node_version" >/dev/null)
  else
    curl -fsSL -o "$tmp/node.tgz" "https://registry.npmjs.org/node-linux-$arch/-/node-linux-$arch-$acog_node_version.tgz"
  fi
  mkdir -p "$acog_cache"
  tar -xzf "$tmp"/*.tgz -C "$tmp"
  rm -rf "$dir"
  mv "$tmp/package" "$dir"
  rm -rf "$tmp"
  export PATH="$dir/bin:$PATH"
  acog_node_ok || { echo "the fetched Node.js does not run: $(node --version 2>&1)" >&2; return 1; }
}
