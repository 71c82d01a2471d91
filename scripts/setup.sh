#!/usr/bin/env bash
# Installs and starts the workbench on a fresh Debian/Ubuntu machine: the project's packages (`npm ci`, which also
# builds the app), then the desktop app; where Electron cannot start (no display, its binary cannot be downloaded,
# a sandbox problem `npm start` has already explained), the same workbench in the browser (`serve`).
#
#   bash scripts/setup.sh [--db PATH]
# The desktop app keeps its database in its user-data folder unless --db names one; browser mode in
# ~/vae-workbench/experiments.db unless --db names one.
set -euo pipefail
cd "$(dirname "$0")/.."

DB_ARGS=()
DB="$HOME/vae-workbench/experiments.db"
if [ "${1:-}" = "--db" ] && [ -n "${2:-}" ]; then
  DB="$2"
  DB_ARGS=(--db "$2")
elif [ $# -gt 0 ]; then
  echo "usage: $0 [--db PATH]" >&2
  exit 2
fi

# npm needs a Node of its own to install with; the project then brings the Node 24 that every script runs on.
if ! command -v npm >/dev/null; then
  echo "npm is missing: install Node.js ≥ 20 with npm ≥ 10 (e.g. https://nodejs.org, or nvm), then run $0 again" >&2
  exit 1
fi
NPM_MAJOR="$(npm --version | cut -d. -f1)"
if [ "$NPM_MAJOR" -lt 10 ]; then
  echo "npm $(npm --version) is too old (needs ≥ 10, which comes with Node.js ≥ 20): run \`npm install -g npm@10\` or install a newer Node.js, then run $0 again" >&2
  exit 1
fi

npm ci --no-audit --no-fund

# The blas backend (CPU training on OpenBLAS, 2.2–3.4× faster than WebAssembly alone on 2 cores (bench:compare)) needs OpenBLAS built
# with pthreads; without it training falls back to wasm, so this is a note, not a stop.
if [ "$(uname -s)" = Linux ] && ! ls /usr/lib/*-linux-gnu/openblas-pthread/libopenblas.so.0 >/dev/null 2>&1; then
  echo "Note: for CPU training 2.2–3.4× faster, install OpenBLAS: sudo apt-get install libopenblas0-pthread" >&2
fi

if [ "$(uname -s)" != Linux ] || [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]; then
  if npm start -- "${DB_ARGS[@]}"; then exit 0; fi
  echo "The desktop app did not start (the reason is above); opening the workbench in the browser instead." >&2
else
  echo "No display here: starting the workbench in browser mode; open the address it prints (an SSH tunnel works)."
fi
mkdir -p "$(dirname "$DB")"
exec npm run serve -- --db "$DB"
