/**
 * The TF.js backends the training and latent processes try, best first (design.md, "Processes"): native TensorFlow
 * with CUDA (only when it really sees a GPU), WebGPU through Dawn (a hardware adapter only), native TensorFlow on
 * the CPU, WebAssembly (SIMD, XNNPACK), then the plain-JS cpu backend (≈25× slower than wasm: a last resort). Kept
 * apart from backend.ts so the app's main process and the CLI can show the order without loading TF.js.
 */
export const backendNames = ['tensorflow', 'webgpu', 'wasm', 'cpu'] as const;
export type BackendName = (typeof backendNames)[number];

/** What the researcher may ask for: a backend by name, or `auto` for the best that starts (the order below). */
export const backendChoices = ['auto', ...backendNames] as const;
export type BackendChoice = (typeof backendChoices)[number];

export const backendCandidates = [
  { label: 'tensorflow (GPU)', backend: 'tensorflow', nativePackage: '@tensorflow/tfjs-node-gpu' },
  { label: 'webgpu', backend: 'webgpu', nativePackage: null },
  { label: 'tensorflow (CPU)', backend: 'tensorflow', nativePackage: '@tensorflow/tfjs-node' },
  { label: 'wasm', backend: 'wasm', nativePackage: null },
  { label: 'cpu', backend: 'cpu', nativePackage: null },
] as const satisfies readonly BackendCandidate[];

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

/** Checks a backend choice from a flag, the environment or a setting; null and 'auto' both mean the best that starts. */
export function parseBackendChoice(value: string | null | undefined, source: string): BackendName | null {
  if (value === null || value === undefined || value === '' || value === 'auto') return null;
  if ((backendNames as readonly string[]).includes(value)) return value as BackendName;
  throw new RangeError(`${source} = '${value}' is not a backend; use one of ${backendChoices.join(', ')}`);
}
