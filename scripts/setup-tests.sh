#!/usr/bin/env bash
# Everything the tests need on a fresh Debian/Ubuntu machine, then the tests: the system packages (this file is the
# one list of them; scripts/preflight.mjs names any that is missing), the pinned toolchain (`npm ci`), `npm test`.
#
#   bash scripts/setup-tests.sh              install, then npm ci and npm test (what .ci/run does)
#   bash scripts/setup-tests.sh --packages   only the system packages
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES_ONLY=0
if [ "${1:-}" = "--packages" ]; then PACKAGES_ONLY=1; elif [ $# -gt 0 ]; then
  echo "usage: $0 [--packages]" >&2
  exit 2
fi

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
. /etc/os-release
# The WebGPU tests run Dawn on a software Vulkan adapter: Debian 12's Mesa 22.3 lavapipe is too old for Dawn,
# Mesa 25 from bookworm-backports works. Newer releases (and Ubuntu) have a recent enough Mesa of their own.
VULKAN_FROM=()
if [ "${VERSION_CODENAME:-}" = bookworm ]; then
  if ! grep -rqsE '^[^#]*bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    echo 'deb http://deb.debian.org/debian bookworm-backports main' | $SUDO tee /etc/apt/sources.list.d/bookworm-backports.list >/dev/null
  fi
  VULKAN_FROM=(-t bookworm-backports)
fi
$SUDO apt-get update -q
# chromium: Playwright's browser; poppler-utils: PDF checks; xvfb: headed Electron runs;
# dataset-fashion-mnist: the second built-in dataset; redis-server: the Redis queue tests;
# libopenblas0-pthread: the blas backend's matrix products (OpenBLAS built with pthreads; its OpenMP build is refused).
$SUDO apt-get install -y -q --no-install-recommends chromium poppler-utils xvfb xauth dataset-fashion-mnist redis-server ca-certificates libopenblas0-pthread
# libvulkan1 + Mesa's lavapipe (with its libdrm) for the webgpu suite, which skips with its reason without them.
$SUDO apt-get install -y -q --no-install-recommends "${VULKAN_FROM[@]}" mesa-vulkan-drivers libvulkan1
[ "$PACKAGES_ONLY" = 1 ] && exit 0

npm ci --no-audit --no-fund
npm test
