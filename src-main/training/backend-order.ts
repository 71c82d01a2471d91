import type { BackendName } from '../../src-shared/backends';

/**
 * The TF.js backends the training and latent processes try, best first (design.md, "Processes"): native TensorFlow
 * with CUDA (only when it really sees a GPU), WebGPU through Dawn (a hardware adapter only), native TensorFlow on
 * the CPU, WebAssembly with the system's OpenBLAS for matrix products (blas-backend.ts), WebAssembly alone (SIMD,
 * XNNPACK), then the plain-JS cpu backend (≈25× slower than wasm: a last resort). Kept
 * apart from backend.ts so the app's main process and the CLI can show the order without loading TF.js.
 */
export const backendCandidates = [
  { label: 'tensorflow (GPU)', backend: 'tensorflow', nativePackage: '@tensorflow/tfjs-node-gpu' },
  { label: 'webgpu', backend: 'webgpu', nativePackage: null },
  { label: 'tensorflow (CPU)', backend: 'tensorflow', nativePackage: '@tensorflow/tfjs-node' },
  { label: 'blas', backend: 'blas', nativePackage: null },
  { label: 'wasm', backend: 'wasm', nativePackage: null },
  { label: 'cpu', backend: 'cpu', nativePackage: null },
] as const satisfies readonly (BackendCandidate & { backend: BackendName })[];

export interface BackendCandidate {
  label: string;
  backend: string;
  nativePackage: string | null;
}

/** The candidates' labels, best first: what the UI shows as the preference order. */
export const backendOrder: string[] = backendCandidates.map((c) => c.label);

/** Names the backend for every run and latent process of this workbench when no flag does (auto, webgpu, …). */
export const backendEnvVar = 'VAE_WORKBENCH_BACKEND';
/** Set to 1 to let webgpu run on a software adapter (lavapipe, SwiftShader): for tests, far slower than wasm. */
export const allowSoftwareGpuEnvVar = 'VAE_WORKBENCH_ALLOW_SOFTWARE_GPU';
