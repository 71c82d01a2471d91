import * as tf from '@tensorflow/tfjs';
import type { BackendCandidate } from '../training/backend-order';
import type { BackendHost, GpuLike } from '../training/backend';

/** Test doubles for backend selection: a native package broken as on Node ≥ 23, a machine with only lavapipe. */

// A native TensorFlow package as tfjs-node 4.22 behaves on Node ≥ 23: it registers 'fake-tensorflow', setBackend
// succeeds, and the first op throws.
export const brokenNative = 'fake-tensorflow';
const brokenKernels = ['BatchMatMul', 'Add', '_FusedMatMul'];
export function brokenNativeHost(gpu: GpuLike | null = null): BackendHost {
  return {
    async importNative() {
      // Tensors live in a cpu backend's memory; only the kernels are broken.
      tf.registerBackend(brokenNative, tf.findBackendFactory('cpu')!);
      for (const kernelName of brokenKernels) {
        tf.registerKernel({
          kernelName,
          backendName: brokenNative,
          kernelFunc: () => {
            throw new TypeError('util_1.isNullOrUndefined is not a function');
          },
        });
      }
    },
    async gpu() {
      if (gpu === null)
        throw Object.assign(new Error("Cannot find package 'webgpu'"), { code: 'ERR_MODULE_NOT_FOUND' });
      return gpu;
    },
    async importWebgpuBackend() {
      throw new Error('not expected: the adapter should have been refused');
    },
  };
}

export const softwareOnly: GpuLike = {
  async requestAdapter() {
    return {
      info: {
        vendor: 'mesa',
        architecture: 'software',
        device: 'llvmpipe',
        description: 'llvmpipe: Mesa 25.0.7',
        isFallbackAdapter: true,
      },
    };
  },
};

export const fakeCandidates: BackendCandidate[] = [
  { label: 'tensorflow (CPU)', backend: brokenNative, nativePackage: '@tensorflow/tfjs-node' },
  { label: 'webgpu', backend: 'webgpu', nativePackage: null },
  { label: 'cpu', backend: 'cpu', nativePackage: null },
];

/** Unregisters the broken backend and its kernels, so the next test starts clean. */
export function removeBrokenNative(): void {
  if (tf.findBackendFactory(brokenNative) !== null) tf.removeBackend(brokenNative);
  for (const kernelName of brokenKernels) tf.unregisterKernel(kernelName, brokenNative);
}
