#!/usr/bin/env bash
# WebGPU on a machine with a GPU: checks that Dawn (the `webgpu` package) trains on a hardware adapter, then measures
# the reference MLP VAE (784-512-20, full MNIST) and the conv VAE on webgpu against wasm in the same process, with the
# loss agreement. Installs nothing (it builds the project if out/ is missing); finishes in under 5 minutes.
#
#   scripts/gpu-check.sh              on a GPU machine (exit 1 if no hardware adapter is used)
#   scripts/gpu-check.sh --software   a short dry run on a software adapter (lavapipe), to check the script itself
#
# Linux needs libvulkan1 and the GPU's Vulkan driver: on NVIDIA, the driver's ICD (nvidia_icd.json); in containers
# NVIDIA_DRIVER_CAPABILITIES must include `graphics` (e.g. `all` or `compute,utility,graphics`).
set -uo pipefail
cd "$(dirname "$0")/.."

SOFTWARE=0
if [ "${1:-}" = "--software" ]; then SOFTWARE=1; elif [ $# -gt 0 ]; then
  echo "usage: $0 [--software]" >&2
  exit 2
fi

START=$SECONDS
FAILED=0
note() { printf '\n== %s (%ds)\n' "$1" $((SECONDS - START)); }
fail() {
  echo "FAIL: $1" >&2
  FAILED=1
}

if [ ! -d node_modules ]; then
  echo "node_modules is missing: run \`npm ci\` in $(pwd) first (this script installs nothing)." >&2
  exit 1
fi
NODE=(npx --no-install node)
if ! "${NODE[@]}" --version >/dev/null 2>&1; then NODE=(node); fi
echo "node $("${NODE[@]}" --version), $(uname -sm)"

if [ ! -f out/main/bench-train.js ] || [ ! -f out/main/cli.js ]; then
  note "building"
  npx --no-install electron-vite build >/dev/null || {
    echo "the build failed: run \`npx electron-vite build\` to see why" >&2
    exit 1
  }
fi

note "GPUs and Vulkan devices"
if command -v nvidia-smi >/dev/null 2>&1; then
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || nvidia-smi -L
else
  echo "nvidia-smi: not installed"
fi
for dir in /usr/share/vulkan/icd.d /etc/vulkan/icd.d; do
  [ -d "$dir" ] && echo "Vulkan ICDs in $dir: $(ls "$dir" | tr '\n' ' ')"
done
if command -v vulkaninfo >/dev/null 2>&1; then
  timeout 30 vulkaninfo --summary 2>/dev/null | sed -n '/^Devices:/,$p' | grep -E 'GPU[0-9]|deviceName|deviceType|driverName|apiVersion' ||
    echo "vulkaninfo found no Vulkan device"
else
  echo "vulkaninfo: not installed (Debian/Ubuntu: vulkan-tools); asking Dawn instead"
fi

note "WebGPU adapters as Dawn sees them"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
timeout 60 "${NODE[@]}" out/main/cli.js backends --json --db "$TMP/check.db" >"$TMP/backends.json" 2>"$TMP/backends.err"
if ! "${NODE[@]}" -e '
  const rows = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  for (const r of rows) console.log(`${r.label.padEnd(17)} ${r.available ? "available" : "no: " + r.reason}`);
  const webgpu = rows.find((r) => r.backend === "webgpu");
  const adapters = webgpu?.adapters ?? [];
  for (const a of adapters)
    console.log(`  adapter: ${[a.vendor, a.architecture, a.device].filter(Boolean).join(" ")} — ${a.description}${a.software ? " (software)" : ""}`);
  const hardware = adapters.filter((a) => !a.software);
  if (hardware.length === 0) {
    console.error(adapters.length === 0
      ? "no WebGPU adapter: install libvulkan1 and the GPU vendor Vulkan driver (NVIDIA: its ICD, nvidia_icd.json; containers: NVIDIA_DRIVER_CAPABILITIES with graphics)"
      : "only software adapters (lavapipe/SwiftShader): the GPU Vulkan driver is not visible to Dawn");
    process.exit(process.argv[2] === "1" ? 0 : 3);
  }
  if (!webgpu.available) { console.error(`a hardware adapter is present but webgpu did not start: ${webgpu.reason}`); process.exit(4); }
' "$TMP/backends.json" "$SOFTWARE"; then
  grep -v 'maxDynamic' "$TMP/backends.err" | tail -5 >&2
  fail "webgpu does not run on a hardware adapter here"
  exit 1
fi

EXTRA=()
if [ "$SOFTWARE" = 1 ]; then
  EXTRA=(--allow-software-gpu)
  echo "(dry run on a software adapter: small subsets, figures are not GPU figures)"
fi

# One comparison: webgpu first, then wasm, same config, same process. Prints the log and keeps the summary lines.
bench() {
  local title=$1 limit=$2
  shift 2
  note "$title"
  local log="$TMP/bench.log"
  timeout "$limit" "${NODE[@]}" out/main/bench-train.js --backend webgpu --compare wasm "${EXTRA[@]}" "$@" >"$log" 2>&1
  local code=$?
  grep -v 'maxDynamic' "$log"
  if [ $code -ne 0 ]; then
    fail "$title: exit $code$([ $code = 124 ] && echo " (over ${limit}s)")"
    return
  fi
  if [ "$SOFTWARE" = 0 ] && grep -q '^backend: webgpu on .*(software adapter)' "$log"; then
    fail "$title trained on a software adapter"
  fi
  grep -E '^backend: webgpu|^webgpu vs wasm' "$log" | sed "s/^/[$title] /" >>"$TMP/summary"
}

if [ "$SOFTWARE" = 1 ]; then
  bench "reference MLP, batch 128" 120 --epochs 1 --train-subset 1280 --test-subset 500
  bench "conv, batch 32" 150 --arch conv --epochs 1 --batch-size 32 --train-subset 64 --test-subset 32
else
  # wasm takes 15–25 s per MLP epoch and ~60 conv examples/s on one core: the subsets keep the whole under 5 minutes.
  bench "reference MLP, batch 128, full MNIST" 100 --epochs 1 --batch-size 128
  bench "reference MLP, batch 1024, full MNIST" 60 --epochs 1 --batch-size 1024
  bench "conv, batch 128" 50 --arch conv --epochs 1 --batch-size 128 --train-subset 1280 --test-subset 256
  bench "conv, batch 1024" 90 --arch conv --epochs 1 --batch-size 1024 --train-subset 4096 --test-subset 256
fi

note "summary"
[ -f "$TMP/summary" ] && cat "$TMP/summary"
echo "total $((SECONDS - START)) s"
if [ $FAILED = 1 ]; then
  echo "gpu-check: FAILED (see above)"
  exit 1
fi
echo "gpu-check: OK"
