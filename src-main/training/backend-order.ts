/**
 * The TF.js backends the training process tries, best first (design.md, "Processes"): native TensorFlow with
 * CUDA, native TensorFlow on the CPU, WebAssembly (SIMD, XNNPACK), then the plain-JS cpu backend (≈25× slower than
 * wasm: a last resort). Kept apart from backend.ts so the app's main process can show the order without loading
 * TF.js.
 */
export const backendNames = ['tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof backendNames)[number];

export const backendCandidates = [
  { label: 'tensorflow (GPU)', backend: 'tensorflow', nativePackage: '@tensorflow/tfjs-node-gpu' },
  { label: 'tensorflow (CPU)', backend: 'tensorflow', nativePackage: '@tensorflow/tfjs-node' },
  { label: 'wasm', backend: 'wasm', nativePackage: null },
  { label: 'cpu', backend: 'cpu', nativePackage: null },
] as const satisfies readonly { label: string; backend: BackendName; nativePackage: string | null }[];

/** The candidates' labels, best first: what the UI shows as the preference order. */
export const backendOrder: string[] = backendCandidates.map((c) => c.label);
