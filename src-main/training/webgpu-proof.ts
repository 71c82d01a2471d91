import * as tf from '@tensorflow/tfjs';
import { wasmHeapBackends } from '../../src-shared/backends';
import type { GpuAdapter } from '../../src-shared/runs';
import { allowSoftwareGpuEnvVar } from './backend-order';

/**
 * Proving a backend before it is chosen, and taking a WebGPU adapter, without Node: the training and latent
 * processes (backend.ts, Dawn's GPU) and the desktop app's WebGPU window (window-backend.ts, Chromium's
 * navigator.gpu) share these.
 */

export class BackendError extends Error {
  override name = 'BackendError';
}

/** The small part of WebGPU's GPU and GPUAdapter that choosing an adapter needs (Dawn's `webgpu` package, or Chromium's navigator.gpu). */
export interface GpuLike {
  requestAdapter(options?: {
    powerPreference?: 'low-power' | 'high-performance';
    forceFallbackAdapter?: boolean;
  }): Promise<GpuAdapterLike | null>;
}
export interface GpuAdapterLike {
  info?: {
    vendor?: string;
    architecture?: string;
    device?: string;
    description?: string;
    isFallbackAdapter?: boolean;
  };
  isFallbackAdapter?: boolean;
}

export type Attempt = { ok: true; adapter?: GpuAdapter } | { ok: false; reason: string };

export function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0];
}

/** setBackend resolves false (and TF.js quietly keeps another backend) when initialisation fails: check both. */
export async function activate(name: string): Promise<Attempt> {
  if (tf.findBackendFactory(name) === null) return { ok: false, reason: `backend '${name}' was not registered` };
  let ok: boolean;
  try {
    ok = await tf.setBackend(name);
  } catch (error) {
    return { ok: false, reason: `setBackend('${name}') threw: ${firstLine(error)}` };
  }
  if (!ok) {
    const hint = wasmHeapBackends.includes(name)
      ? ' (its .wasm files were not found: is @tensorflow/tfjs-backend-wasm bundled instead of external?)'
      : '';
    return { ok: false, reason: `setBackend('${name}') failed to initialise${hint}` };
  }
  const active = tf.getBackend();
  if (active !== name) return { ok: false, reason: `asked for '${name}' but TF.js is running '${active}'` };
  return smoke();
}

/** [[1,2],[3,4]]·[5,6]ᵀ + 1 = [18, 40], read back asynchronously (synchronous reads throw on webgpu in Node). */
async function smoke(): Promise<Attempt> {
  let result: tf.Tensor | null = null;
  try {
    result = tf.tidy(() => tf.matMul(tf.tensor2d([1, 2, 3, 4], [2, 2]), tf.tensor2d([5, 6], [2, 1])).add(1));
    const values = Array.from(await result.data());
    if (values.length !== 2 || values[0] !== 18 || values[1] !== 40) {
      return { ok: false, reason: `its first op computed [${values.join(', ')}] instead of [18, 40]` };
    }
    return { ok: true };
  } catch (error) {
    return { ok: false, reason: `its first op failed: ${firstLine(error)}` };
  } finally {
    result?.dispose();
  }
}

export function adapterOf(adapter: GpuAdapterLike): GpuAdapter {
  const info = adapter.info ?? {};
  const architecture = info.architecture ?? '';
  return {
    vendor: info.vendor ?? '',
    architecture,
    device: info.device ?? '',
    description: info.description ?? '',
    software: info.isFallbackAdapter === true || adapter.isFallbackAdapter === true || architecture === 'software',
  };
}

/** Where a GPU comes from: Dawn's Node binding, or a page's navigator.gpu. */
export interface WebgpuSource {
  /** The GPU object, its globals installed; throws (or rejects) when it cannot be had, with a message saying why. */
  gpu(): Promise<GpuLike>;
  /** Imports @tensorflow/tfjs-backend-webgpu once `navigator.gpu` is the GPU above. */
  importWebgpuBackend(gpu: GpuLike): Promise<void>;
  /** Why no adapter was offered, and what would give one (drivers, flags). */
  noAdapter: string;
  /** The reason to give when gpu() failed. */
  unavailable(error: unknown): string;
}

/** The adapter tfjs-backend-webgpu will get: it asks for 'high-performance' too. */
export async function requestGpuAdapter(
  source: WebgpuSource,
): Promise<{ gpu: GpuLike; adapter: GpuAdapterLike } | string> {
  let gpu: GpuLike;
  try {
    gpu = await source.gpu();
  } catch (error) {
    return source.unavailable(error);
  }
  let adapter: GpuAdapterLike | null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch (error) {
    return `requestAdapter failed: ${firstLine(error)}`;
  }
  if (adapter === null) return source.noAdapter;
  return { gpu, adapter };
}

/** Takes the adapter (a software one only when allowed), loads the webgpu backend and proves it by a smoke op. */
export async function tryWebgpuFrom(source: WebgpuSource, allowSoftwareGpu: boolean): Promise<Attempt> {
  const found = await requestGpuAdapter(source);
  if (typeof found === 'string') return { ok: false, reason: found };
  const adapter = adapterOf(found.adapter);
  if (adapter.software && !allowSoftwareGpu) {
    return {
      ok: false,
      reason: `the only adapter is a software one (${adapter.description || adapter.device || adapter.vendor}), slower than wasm; pass --allow-software-gpu (or set ${allowSoftwareGpuEnvVar}=1) to use it anyway`,
    };
  }
  try {
    await source.importWebgpuBackend(found.gpu);
  } catch (error) {
    return { ok: false, reason: `@tensorflow/tfjs-backend-webgpu failed to load: ${firstLine(error)}` };
  }
  const result = await activate('webgpu');
  return result.ok ? { ok: true, adapter } : result;
}
