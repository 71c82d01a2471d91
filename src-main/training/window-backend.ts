import * as tf from '@tensorflow/tfjs';
import type { BackendInfo, GpuAdapter } from '../../src-shared/runs';
import { parseBackendChoice } from '../../src-shared/backends';
import {
  adapterOf,
  BackendError,
  firstLine,
  requestGpuAdapter,
  tryWebgpuFrom,
  type GpuLike,
  type WebgpuSource,
} from './webgpu-proof';

/**
 * The backend of the desktop app's WebGPU window: Chromium's own navigator.gpu, proven by the same smoke op and
 * refusing a software adapter (SwiftShader) the same way as Dawn in a process. The window trains webgpu runs only:
 * the app routes every other backend to the training process (electron/training-route.ts).
 */

export interface WindowBackendOptions {
  allowSoftwareGpu: boolean;
  /** navigator.gpu; undefined where the page has none (WebGPU disabled, an insecure context). */
  gpu: GpuLike | undefined;
  /** Imports @tensorflow/tfjs-backend-webgpu (it registers itself when navigator.gpu exists). */
  importWebgpuBackend(): Promise<void>;
}

/** What the window's WebGPU offers, as main learns it before routing a run with backend auto. */
export type WindowGpuReport = { adapter: GpuAdapter } | { reason: string };

function windowSource(gpu: GpuLike | undefined, importWebgpuBackend: () => Promise<void>): WebgpuSource {
  return {
    gpu: async () => {
      if (gpu === undefined) throw new Error('this page has no navigator.gpu');
      return gpu;
    },
    importWebgpuBackend: () => importWebgpuBackend(),
    noAdapter:
      "Chromium's WebGPU offers no adapter here (its GPU process found no usable Vulkan, Metal or D3D12 device, or the GPU is blocklisted)",
    unavailable: (error) => `Chromium's WebGPU is unavailable: ${firstLine(error)}`,
  };
}

/** The adapter a run would get in this page, or why there is none; loads nothing. */
export async function reportWindowGpu(gpu: GpuLike | undefined): Promise<WindowGpuReport> {
  const found = await requestGpuAdapter(windowSource(gpu, async () => undefined));
  return typeof found === 'string' ? { reason: found } : { adapter: adapterOf(found.adapter) };
}

export async function selectWindowBackend(
  preferred: string | null,
  options: WindowBackendOptions,
): Promise<BackendInfo> {
  let wanted: string | null;
  try {
    wanted = parseBackendChoice(preferred, 'backend');
  } catch (error) {
    throw new BackendError((error as Error).message);
  }
  if (wanted !== null && wanted !== 'webgpu') {
    throw new BackendError(
      `the WebGPU window trains on webgpu only, not '${wanted}'; the app trains ${wanted} runs in its training process`,
    );
  }
  const result = await tryWebgpuFrom(windowSource(options.gpu, options.importWebgpuBackend), options.allowSoftwareGpu);
  if (!result.ok)
    throw new BackendError(`backend 'webgpu' could not start (webgpu in the app's window: ${result.reason})`);
  await tf.ready();
  return result.adapter === undefined
    ? { backend: 'webgpu', skipped: [] }
    : { backend: 'webgpu', adapter: result.adapter, skipped: [] };
}
