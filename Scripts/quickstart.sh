#!/usr/bin/env bash
# Installs what the build needs (Debian/Ubuntu: libarchive and libyara headers, pkg-config), builds ckpt-inspect in release mode and
# reports on a bundled checkpoint. Usage: Scripts/quickstart.sh [ARCHIVE]
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
for pkg in libarchive-dev libyara-dev pkg-config; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq "${need[@]}"
fi
swift build -c release --product ckpt-inspect
exec .build/release/ckpt-inspect inspect --all "${1:-Fixtures/podman/ck-basic.zstd.tar.zst}"
