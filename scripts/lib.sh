# Shared by scripts/run and scripts/test: installs what is missing and builds.
# shellcheck shell=bash

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${DPICHAT_BUILD_DIR:-$ROOT/build}"

PACKAGES=(
  cmake ninja-build g++ pkg-config
  qt6-base-dev qt6-websockets-dev qt6-httpserver-dev qtkeychain-qt6-dev
  libqt6sql6-sqlite libqt6sql6-psql qt6-tools-dev qt6-l10n-tools qt6-tools-dev-tools
  libqt6svg6 libgl-dev libsodium-dev xvfb xauth
  openssl
  libpq-dev libssl-dev postgresql libsqlite3-dev
)

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# Installs the Debian packages that are not installed yet; nothing when all are there.
ensure_packages() {
  local missing=()
  for p in "${PACKAGES[@]}" "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]}"
  local sudo=()
  [ "$(id -u)" -ne 0 ] && sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# Configures (once) and builds everything with CMake and Ninja.
build() {
  if [ ! -f "$BUILD_DIR/build.ninja" ]; then
    log "configuring in $BUILD_DIR"
    cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE="${DPICHAT_BUILD_TYPE:-RelWithDebInfo}" "$@"
  elif [ $# -gt 0 ]; then
    cmake "$BUILD_DIR" "$@" >/dev/null   # an existing build takes the options asked for now
  fi
  log "building"
  cmake --build "$BUILD_DIR" -- -j"$(nproc)"
}
