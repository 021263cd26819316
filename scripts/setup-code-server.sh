#!/usr/bin/env bash
# Installs what the end-to-end tests and `npm run try` need into a git-ignored tool folder
# (default: .tools/; $MOBILECLIP_TOOLS_DIR moves it), on Linux x64 or arm64:
#   - Node 24 from the npm registry (package node-linux-<arch>@24): code-server 4.139 requires it;
#   - code-server from the npm registry, its native modules compiled against Node 24's headers.
# Re-running is cheap: each step is skipped when the right version is already installed.
# Progress goes to stderr. `--env` prints shell exports (PATH with Node 24 first, CODE_SERVER_BIN);
# `--paths` prints node=..., code_server=..., installed=yes|no for the test harness;
# `--no-browser` does not install Chromium (the tests drive it; `npm run try` does not need it).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
TOOLS="${MOBILECLIP_TOOLS_DIR:-$ROOT/.tools}"
CODE_SERVER_VERSION="${CODE_SERVER_VERSION:-4.139.1}"
case "$(uname -m)" in
  aarch64|arm64) NODE_ARCH=arm64 ;;
  *) NODE_ARCH=x64 ;;
esac
NODE_SPEC="${NODE24_SPEC:-node-linux-$NODE_ARCH@24}"

NODE_DIR="$TOOLS/node24"
NODE_PKG="$NODE_DIR/node_modules/${NODE_SPEC%@*}"
CS_DIR="$TOOLS/code-server-$CODE_SERVER_VERSION"
CS_PKG="$CS_DIR/node_modules/code-server"

if [ "${1:-}" = "--env" ]; then
  echo "export PATH=\"$NODE_PKG/bin:\$PATH\""
  echo "export CODE_SERVER_BIN=\"$CS_PKG/out/node/entry.js\""
  exit 0
fi

if [ "${1:-}" = "--paths" ]; then
  installed=no
  [ -f "$CS_DIR/.complete" ] && [ -x "$NODE_PKG/bin/node" ] && installed=yes
  echo "node=$NODE_PKG/bin/node"
  echo "node_dir=$NODE_PKG"
  echo "code_server=$CS_PKG/out/node/entry.js"
  echo "version=$CODE_SERVER_VERSION"
  echo "installed=$installed"
  exit 0
fi

log() { echo "[setup-code-server] $*" >&2; }

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64|Linux-aarch64) ;;
  *) log "only Linux x64 and arm64 are supported by this script (Node 24 from npm); on macOS and Windows, npm run try uses the desktop VS Code"; exit 1 ;;
esac
WITH_BROWSER=1
[ "${1:-}" = "--no-browser" ] && WITH_BROWSER=0

# Build prerequisites of code-server's native modules (kerberos needs libkrb5-dev) and the browser.
if command -v apt-get >/dev/null 2>&1; then
  need_apt=()
  dpkg -s libkrb5-dev >/dev/null 2>&1 || need_apt+=(libkrb5-dev)
  [ "$WITH_BROWSER" = 0 ] || [ -x /usr/bin/chromium ] || need_apt+=(chromium)
  command -v make >/dev/null 2>&1 || need_apt+=(make)
  command -v g++ >/dev/null 2>&1 || need_apt+=(g++)
  command -v python3 >/dev/null 2>&1 || need_apt+=(python3)
  if [ ${#need_apt[@]} -gt 0 ]; then
    log "apt-get install ${need_apt[*]}"
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
  fi
fi

mkdir -p "$TOOLS"
# When run from `npm test` or `npm run try`, the outer npm's settings arrive as npm_* variables;
# the tool installs must not inherit them (npm_config_ignore_scripts=true from the project's .npmrc
# would skip code-server's native builds; its postinstall reads the Node version from
# npm_config_user_agent, which would name the outer Node 20).
while IFS= read -r var; do unset "$var"; done < <(env | sed -n 's/^\(npm_[A-Za-z0-9_]*\)=.*/\1/p')
# A tool folder of its own, so the project's .npmrc/package.json do not apply to these installs.
init_pkg() {
  mkdir -p "$1"
  [ -f "$1/package.json" ] || echo '{ "name": "tool", "private": true }' >"$1/package.json"
}

# 1. Node 24
if [ -x "$NODE_PKG/bin/node" ] && "$NODE_PKG/bin/node" -e 'process.exit(+process.versions.node.split(".")[0] === 24 ? 0 : 1)'; then
  log "Node $("$NODE_PKG/bin/node" -v) already installed"
else
  log "installing $NODE_SPEC into $NODE_DIR"
  init_pkg "$NODE_DIR"
  (cd "$NODE_DIR" && npm install --no-audit --no-fund --no-save "$NODE_SPEC" >&2)
fi

# 2. code-server, built with Node 24 first on PATH and its headers for node-gyp.
installed_version() {
  [ -f "$CS_PKG/package.json" ] && "$NODE_PKG/bin/node" -p "require('$CS_PKG/package.json').version" 2>/dev/null || true
}
if [ "$(installed_version)" = "$CODE_SERVER_VERSION" ] && [ -f "$CS_DIR/.complete" ]; then
  log "code-server $CODE_SERVER_VERSION already installed"
else
  log "installing code-server@$CODE_SERVER_VERSION into $CS_DIR (takes several minutes)"
  init_pkg "$CS_DIR"
  rm -f "$CS_DIR/.complete"
  (
    cd "$CS_DIR"
    export PATH="$NODE_PKG/bin:$PATH"
    export npm_config_nodedir="$NODE_PKG"
    npm install --no-audit --no-fund --no-save "code-server@$CODE_SERVER_VERSION" >&2
  )
  touch "$CS_DIR/.complete"
fi

log "ready: $CS_PKG ($(installed_version)) with Node $("$NODE_PKG/bin/node" -v)"
