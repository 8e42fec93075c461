#!/usr/bin/env bash
# README's test command: installs what the build and the tests need when it is missing (Debian or
# Ubuntu; `sudo` when not root; only the packages that are absent), then runs `swift test`.
# Arguments are passed to `swift test` (e.g. `Scripts/test.sh --filter CLITests`).
#
# What each package is for:
#   libarchive-dev pkg-config          the build (CheckpointArchive reads tar through libarchive)
#   libprotobuf-c-dev libprotobuf-dev protobuf-compiler protobuf-c-compiler
#                                      the libprotobuf-c oracle target and the schema regeneration checks
#   libyara-dev yara                   the YARA scanner (libyara) and its baseline in the tests
#   zstd gzip bzip2 xz-utils tar       recompressed fixtures and the archives the tests build
#   gdb gdb-multiarch                  ELF core tests (cores loaded and disassembled by gdb; aarch64 cores by gdb-multiarch)
#   chromium                           the HTML report is rendered headless and checked
#   python3                            Scripts/make-pod-fixtures.py: a test checks Fixtures/pods is its output
set -euo pipefail
cd "$(dirname "$0")/.."
packages=(libarchive-dev pkg-config libprotobuf-c-dev libprotobuf-dev protobuf-compiler protobuf-c-compiler
  libyara-dev yara zstd gzip bzip2 xz-utils tar gdb gdb-multiarch chromium python3)
need=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "test.sh: installing ${need[*]}" >&2
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
exec swift test "$@"
