// Run first by `npm test`: names, in one line each, a system package the tests need that this machine lacks, and how
// to get it, before a suite fails on it minutes later. Packages whose suites skip with their reason only warn.
// The package list itself lives in scripts/setup-tests.sh (which installs them all).
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { spawnSync } from 'node:child_process';

const onPath = (name) => (process.env.PATH ?? '').split(delimiter).some((dir) => dir && existsSync(join(dir, name)));

/** The Vulkan loader, wherever the dynamic linker finds it (ldconfig's cache), or in the usual library folders. */
function hasVulkanLoader() {
  const ldconfig = spawnSync('ldconfig', ['-p'], { encoding: 'utf8' });
  if (ldconfig.status === 0) return /\blibvulkan\.so\.1\b/.test(ldconfig.stdout);
  return ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib'].some((dir) =>
    existsSync(join(dir, 'libvulkan.so.1')),
  );
}

/** The pthreads build of OpenBLAS where Debian and Ubuntu put it (src-main/training/blas.ts looks there first). */
function hasOpenblasPthreads() {
  if (process.env.VAE_WORKBENCH_BLAS_LIBRARY) return true;
  return ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu'].some((dir) =>
    existsSync(join(dir, 'openblas-pthread', 'libopenblas.so.0')),
  );
}

const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const install = (packages) => `sudo apt-get install ${packages} (or: bash scripts/setup-tests.sh)`;

/** `fail`: a suite fails without it; otherwise the suites that need it skip with their reason. */
const checks = [
  {
    ok: () => existsSync(chromium),
    fail: true,
    message: `${chromium} is missing: the end-to-end tests drive it; ${install('chromium')}, or set CHROMIUM_PATH`,
  },
  {
    ok: () => onPath('pdftoppm') && onPath('pdftotext'),
    fail: true,
    message: `pdftoppm/pdftotext are missing: the end-to-end tests render the report PDF with them; ${install('poppler-utils')}`,
  },
  {
    ok: () => onPath('xvfb-run'),
    fail: false,
    message: `xvfb-run is missing: the desktop (Electron) suite needs it without a display, and skips while the Electron binary is absent; ${install('xvfb xauth')}`,
  },
  {
    ok: hasOpenblasPthreads,
    fail: true,
    message: `OpenBLAS built with pthreads is missing: the blas backend's tests train on it; ${install('libopenblas0-pthread')}`,
  },
  {
    ok: () => onPath('redis-server'),
    fail: false,
    message: `redis-server is missing: the Redis queue suites skip without it; ${install('redis-server')}`,
  },
  {
    ok: hasVulkanLoader,
    fail: false,
    message: `libvulkan.so.1 is missing: the WebGPU suite skips without it; ${install('-t bookworm-backports mesa-vulkan-drivers libvulkan1')} (Ubuntu: without -t)`,
  },
];

// Only Linux has these packages under these names; elsewhere the suites' own checks speak.
if (process.platform === 'linux') {
  let failed = false;
  for (const check of checks) {
    if (check.ok()) continue;
    console.error(`preflight: ${check.fail ? 'error' : 'warning'}: ${check.message}`);
    failed ||= check.fail;
  }
  if (failed) process.exit(1);
}
