import * as tf from '@tensorflow/tfjs';
import nodeUtil from 'node:util';
import type { BackendInfo, GpuAdapter } from '../../src-shared/runs';
import { allowSoftwareGpuEnvVar, backendCandidates, backendEnvVar, type BackendCandidate } from './backend-order';
import { parseBackendChoice, wasmHeapBackends } from '../../src-shared/backends';
import { loadBlas } from './blas';
import { blasBackendName, blasInUse, registerBlasBackend } from './blas-backend';
import {
  activate,
  adapterOf,
  BackendError,
  firstLine,
  tryWebgpuFrom,
  type Attempt,
  type GpuLike,
  type WebgpuSource,
} from './webgpu-proof';

export { adapterOf, BackendError, type GpuAdapterLike, type GpuLike } from './webgpu-proof';

/**
 * Picks the fastest TF.js backend that works here, in the order of backendCandidates (backend-order.ts). A backend
 * counts only once a smoke op's result has been read back and checked: `setBackend` succeeding proves nothing
 * (tfjs-node 4.22 on Node ≥ 23 starts and then fails on its first op, tensorflow/tfjs#8609). Every better backend
 * that was skipped is recorded with the reason, so the run's page can say why it is slow.
 */

/** Where backends come from; tests pass fakes (a native module whose ops throw, a software-only GPU). */
export interface BackendHost {
  /** Imports a native TensorFlow package, which registers the 'tensorflow' backend as a side effect. */
  importNative(specifier: string): Promise<void>;
  /** Dawn's GPU object with its globals installed, ready for @tensorflow/tfjs-backend-webgpu. */
  gpu(): Promise<GpuLike>;
  /** Imports the webgpu backend once `navigator.gpu` is set. */
  importWebgpuBackend(gpu: GpuLike): Promise<void>;
  /** Electron's version when running inside Electron (process.versions.electron); absent on plain Node. */
  electronVersion?: string;
}

export interface SelectOptions {
  /** Lets webgpu run on a software adapter; default: the VAE_WORKBENCH_ALLOW_SOFTWARE_GPU environment variable. */
  allowSoftwareGpu?: boolean;
  host?: BackendHost;
  /** Replaces backendCandidates (tests). */
  candidates?: readonly BackendCandidate[];
}

const nodeHost: BackendHost = {
  // The specifier is a variable: the native packages are optional and absent on most machines, so neither
  // TypeScript nor the bundler may resolve them at build time.
  async importNative(specifier) {
    restoreRemovedUtil();
    await import(/* @vite-ignore */ specifier);
  },
  gpu: dawnGpu,
  electronVersion: process.versions.electron,
  async importWebgpuBackend(gpu) {
    // tfjs-backend-webgpu registers itself at import only if navigator.gpu exists. On Node ≥ 21 `navigator` is a
    // getter-only global, so the property is defined rather than assigned.
    const nav = (globalThis as { navigator?: object }).navigator;
    if (nav === undefined) {
      Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
    } else if ((nav as { gpu?: unknown }).gpu !== gpu) {
      Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true, writable: true });
    }
    await import('@tensorflow/tfjs-backend-webgpu');
  },
};

let dawn: Promise<GpuLike> | null = null;

/** One Dawn instance per process; its globals (GPUBufferUsage, GPUMapMode, …) are what tfjs-backend-webgpu uses. */
function dawnGpu(): Promise<GpuLike> {
  dawn ??= (async () => {
    const specifier = 'webgpu';
    const module = (await import(/* @vite-ignore */ specifier)) as {
      create?: (options: string[]) => GpuLike;
      globals?: Record<string, unknown>;
      default?: { create?: (options: string[]) => GpuLike; globals?: Record<string, unknown> };
    };
    const create = module.create ?? module.default?.create;
    const globals = module.globals ?? module.default?.globals ?? {};
    if (create === undefined) throw new Error("the 'webgpu' package has no create()");
    for (const [name, value] of Object.entries(globals)) {
      if (!(name in globalThis)) Object.defineProperty(globalThis, name, { value, configurable: true, writable: true });
    }
    return create([]);
  })();
  dawn.catch(() => (dawn = null));
  return dawn;
}

/**
 * tfjs-node 4.22 calls `util.isNullOrUndefined`, `util.isArray` and other helpers that Node 23 removed
 * (tensorflow/tfjs#8609, fixed upstream but unreleased). It looks them up on the shared `util` module object at
 * call time, so putting faithful versions back before it loads makes it work; existing ones are left alone.
 */
export function restoreRemovedUtil(): string[] {
  const util = nodeUtil as unknown as Record<string, unknown>;
  const removed: Record<string, (value: unknown) => boolean> = {
    isArray: (v) => Array.isArray(v),
    isBoolean: (v) => typeof v === 'boolean',
    isBuffer: (v) => Buffer.isBuffer(v),
    isDate: (v) => v instanceof Date,
    isError: (v) => v instanceof Error,
    isFunction: (v) => typeof v === 'function',
    isNull: (v) => v === null,
    isNullOrUndefined: (v) => v === null || v === undefined,
    isNumber: (v) => typeof v === 'number',
    isObject: (v) => v !== null && typeof v === 'object',
    isPrimitive: (v) => v === null || (typeof v !== 'object' && typeof v !== 'function'),
    isRegExp: (v) => v instanceof RegExp,
    isString: (v) => typeof v === 'string',
    isSymbol: (v) => typeof v === 'symbol',
    isUndefined: (v) => v === undefined,
  };
  const restored: string[] = [];
  for (const [name, fn] of Object.entries(removed)) {
    if (typeof util[name] === 'function') continue;
    try {
      util[name] = fn;
      restored.push(name);
    } catch {
      // A frozen util (some embedders): the native backend then fails its smoke op and is skipped with the reason.
    }
  }
  return restored;
}

async function tryNative(host: BackendHost, specifier: string, name: string, wantGpu: boolean): Promise<Attempt> {
  try {
    await host.importNative(specifier);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      return { ok: false, reason: `${specifier} is not installed` };
    }
    return { ok: false, reason: `${specifier} failed to load: ${firstLine(error)}` };
  }
  if (tf.findBackendFactory(name) === null) {
    return {
      ok: false,
      reason: `${specifier} loaded but registered its backend with another copy of @tensorflow/tfjs-core; install the version matching @tensorflow/tfjs ${tf.version.tfjs}`,
    };
  }
  const result = await activate(name);
  if (!result.ok) return { ok: false, reason: `${specifier}: ${result.reason}` };
  if (wantGpu && (tf.backend() as { isUsingGpuDevice?: boolean }).isUsingGpuDevice !== true) {
    // tfjs-node-gpu is built for CUDA 11.2/cuDNN 8.1 and elsewhere runs on the CPU without saying so.
    return { ok: false, reason: `${specifier} loaded but TensorFlow sees no GPU (it needs CUDA 11.2 and cuDNN 8.1)` };
  }
  return result;
}

async function tryWebgpu(host: BackendHost, allowSoftwareGpu: boolean): Promise<Attempt> {
  if (host.electronVersion !== undefined) {
    // Dawn's binding (src/dawn/node/binding/GPUBuffer.cpp, getMappedRange) hands mapped GPU memory to JavaScript as
    // an external ArrayBuffer, which Electron ≥ 21's V8 memory cage refuses; the failed mapping is then left behind
    // and a later unmap can abort the whole process, which no smoke op could catch. So it is not tried there: the
    // desktop app trains webgpu runs in a hidden window on Chromium's own WebGPU instead (electron/training-window.ts).
    return {
      ok: false,
      reason: `Dawn's Node binding cannot read GPU buffers inside Electron ${host.electronVersion} (external ArrayBuffers are refused by its memory cage); the app's runs train on webgpu in a hidden window instead, latent views use the next backend`,
    };
  }
  const source: WebgpuSource = {
    gpu: () => host.gpu(),
    importWebgpuBackend: (gpu) => host.importWebgpuBackend(gpu),
    noAdapter:
      'no WebGPU adapter found (on Linux Dawn needs libvulkan1 and a Vulkan driver: NVIDIA/AMD/Intel, or Mesa ≥ 24 lavapipe for tests)',
    unavailable: (error) => {
      const code = (error as { code?: string }).code;
      if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND')
        return "the 'webgpu' package is not installed";
      return `Dawn (the 'webgpu' package) failed to load: ${firstLine(error)}`;
    },
  };
  return tryWebgpuFrom(source, allowSoftwareGpu);
}

async function tryWasm(): Promise<Attempt> {
  try {
    await import('@tensorflow/tfjs-backend-wasm');
  } catch (error) {
    return { ok: false, reason: `@tensorflow/tfjs-backend-wasm failed to load: ${firstLine(error)}` };
  }
  return activate('wasm');
}

async function tryBlas(): Promise<Attempt> {
  const load = await loadBlas();
  if (!load.ok) return { ok: false, reason: load.reason };
  try {
    await registerBlasBackend(load.blas);
  } catch (error) {
    return {
      ok: false,
      reason: `@tensorflow/tfjs-backend-wasm, which it runs on, failed to load: ${firstLine(error)}`,
    };
  }
  return activate(blasBackendName);
}

function attempt(candidate: BackendCandidate, host: BackendHost, allowSoftwareGpu: boolean): Promise<Attempt> {
  if (candidate.nativePackage !== null) {
    return tryNative(host, candidate.nativePackage, candidate.backend, candidate.label.includes('GPU'));
  }
  if (candidate.backend === 'webgpu') return tryWebgpu(host, allowSoftwareGpu);
  if (candidate.backend === blasBackendName) return tryBlas();
  return candidate.backend === 'wasm' ? tryWasm() : activate(candidate.backend);
}

/**
 * How many threads this process's matrix products may use: a training process is told its share of the cores (the
 * queue runs several at once). Only the blas backend's OpenBLAS has threads of ours to set.
 */
export function setCpuThreads(threads: number): void {
  blasInUse()?.setThreads(threads);
}

function allowSoftwareFromEnv(): boolean {
  const value = process.env[allowSoftwareGpuEnvVar];
  return value !== undefined && value !== '' && value !== '0' && value !== 'false';
}

/**
 * Activates a backend. `preferred` forces one (a name in backendNames) and throws, naming why, if it cannot start;
 * 'auto' tries them best first; null takes VAE_WORKBENCH_BACKEND if set, else is 'auto'. The result names the backend in use
 * (and the adapter, for webgpu) and why each better one was skipped.
 */
export async function selectBackend(preferred: string | null, options: SelectOptions = {}): Promise<BackendInfo> {
  const host = options.host ?? nodeHost;
  const candidates = options.candidates ?? backendCandidates;
  const allowSoftwareGpu = options.allowSoftwareGpu ?? allowSoftwareFromEnv();
  const known = [...new Set(candidates.map((c) => c.backend))];
  if (preferred !== null && preferred !== 'auto' && !known.includes(preferred)) {
    throw new BackendError(
      `backend '${preferred}' is not known; use one of ${known.join(', ')} (or auto for the best available)`,
    );
  }
  let wanted = preferred === 'auto' ? null : preferred;
  // Only an unnamed choice defers to the environment: an explicit 'auto' means the order above.
  if (preferred === null) {
    try {
      wanted = parseBackendChoice(process.env[backendEnvVar], backendEnvVar);
    } catch (error) {
      throw new BackendError((error as Error).message);
    }
  }
  const skipped: BackendInfo['skipped'] = [];
  for (const candidate of candidates) {
    if (wanted !== null && candidate.backend !== wanted) continue;
    const result = await attempt(candidate, host, allowSoftwareGpu);
    if (result.ok) {
      await tf.ready();
      if (wasmHeapBackends.includes(candidate.backend) && !(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'))) {
        skipped.push({
          backend: 'wasm (SIMD)',
          reason: 'this runtime has no WebAssembly SIMD; the plain wasm build is several times slower',
        });
      }
      return result.adapter === undefined
        ? { backend: candidate.backend, skipped }
        : { backend: candidate.backend, adapter: result.adapter, skipped };
    }
    skipped.push({ backend: candidate.label, reason: result.reason });
  }
  const reasons = skipped.map((s) => `${s.backend}: ${s.reason}`).join('; ');
  throw new BackendError(
    wanted === null ? `no TF.js backend could start (${reasons})` : `backend '${wanted}' could not start (${reasons})`,
  );
}

export interface BackendAvailability {
  label: string;
  backend: string;
  available: boolean;
  /** Why not, when unavailable; for a software-only webgpu, also what would allow it. */
  reason: string | null;
  /** webgpu only: every adapter Dawn offers (the preferred one, a low-power one, the fallback), without repeats. */
  adapters?: GpuAdapter[];
  /** blas only, when it starts: which OpenBLAS, its kernel for this CPU and its threads. */
  blas?: { library: string; coreName: string; threads: number };
}

/** Tries every candidate in turn (each smoke-tested) and leaves TF.js on the last one that worked. */
export async function listBackends(options: SelectOptions = {}): Promise<BackendAvailability[]> {
  const host = options.host ?? nodeHost;
  const candidates = options.candidates ?? backendCandidates;
  const allowSoftwareGpu = options.allowSoftwareGpu ?? allowSoftwareFromEnv();
  const rows: BackendAvailability[] = [];
  for (const candidate of candidates) {
    const result = await attempt(candidate, host, allowSoftwareGpu);
    const row: BackendAvailability = {
      label: candidate.label,
      backend: candidate.backend,
      available: result.ok,
      reason: result.ok ? null : result.reason,
    };
    if (candidate.backend === 'webgpu') row.adapters = await listAdapters(host);
    const blas = blasInUse();
    if (candidate.backend === blasBackendName && result.ok && blas !== null) {
      row.blas = { library: blas.library, coreName: blas.coreName, threads: blas.threads() };
    }
    rows.push(row);
  }
  return rows;
}

async function listAdapters(host: BackendHost): Promise<GpuAdapter[]> {
  let gpu: GpuLike;
  try {
    gpu = await host.gpu();
  } catch {
    return [];
  }
  const found: GpuAdapter[] = [];
  const requests = [
    { powerPreference: 'high-performance' as const },
    { powerPreference: 'low-power' as const },
    { forceFallbackAdapter: true },
  ];
  for (const request of requests) {
    const adapter = await gpu.requestAdapter(request).catch(() => null);
    if (adapter === null) continue;
    const info = adapterOf(adapter);
    if (!found.some((a) => JSON.stringify(a) === JSON.stringify(info))) found.push(info);
  }
  return found;
}
