import * as tf from '@tensorflow/tfjs';
import type { BackendInfo } from '../../src-shared/runs';
import { parseBackendChoice } from '../../src-shared/backends';
import { BackendError, firstLine, tryWebgpuFrom, type GpuLike } from './webgpu-proof';

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
  const result = await tryWebgpuFrom(
    {
      gpu: async () => {
        if (options.gpu === undefined) throw new Error('this page has no navigator.gpu');
        return options.gpu;
      },
      importWebgpuBackend: () => options.importWebgpuBackend(),
      noAdapter:
        "Chromium's WebGPU offers no adapter here (its GPU process found no usable Vulkan, Metal or D3D12 device, or the GPU is blocklisted)",
      unavailable: (error) => `Chromium's WebGPU is unavailable: ${firstLine(error)}`,
    },
    options.allowSoftwareGpu,
  );
  if (!result.ok)
    throw new BackendError(`backend 'webgpu' could not start (webgpu in the app's window: ${result.reason})`);
  await tf.ready();
  return result.adapter === undefined
    ? { backend: 'webgpu', skipped: [] }
    : { backend: 'webgpu', adapter: result.adapter, skipped: [] };
}
