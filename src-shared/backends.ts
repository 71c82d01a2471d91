/**
 * The TF.js backends a researcher can ask for, by name (src-main/training/backend-order.ts lists how each is tried).
 * Pure data: the CLI, the API contract and the UI's setting all take their choices from here.
 */
export const backendNames = ['tensorflow', 'webgpu', 'blas', 'wasm', 'cpu'] as const;
export type BackendName = (typeof backendNames)[number];

/**
 * The backends whose tensors live in a WebAssembly heap, run from tfjs-backend-wasm's .wasm files: wasm, and blas (wasm
 * with its products on OpenBLAS). Tensors made from arrays are copied in, and SIMD support decides their speed.
 */
export const wasmHeapBackends: readonly string[] = ['wasm', 'blas'] satisfies BackendName[];

/** A backend by name, or `auto` for the best that starts. */
export const backendChoices = ['auto', ...backendNames] as const;
export type BackendChoice = (typeof backendChoices)[number];

/** What the runs of this workbench ask for; a software WebGPU adapter (lavapipe, SwiftShader) only when allowed. */
export interface BackendPreference {
  backend: BackendChoice;
  allowSoftwareGpu: boolean;
}

/** Checks a backend choice from a flag, the environment or a setting; null and 'auto' both mean the best that starts. */
export function parseBackendChoice(value: string | null | undefined, source: string): BackendName | null {
  if (value === null || value === undefined || value === '' || value === 'auto') return null;
  if ((backendNames as readonly string[]).includes(value)) return value as BackendName;
  throw new RangeError(`${source} = '${value}' is not a backend; use one of ${backendChoices.join(', ')}`);
}

/**
 * Where the preference in force comes from: set at start-up (--backend, --allow-software-gpu or the environment
 * variables, for this session only), the setting saved in the store (the UI's choice, kept across restarts), or
 * neither (auto).
 */
export const backendPreferenceSources = ['start-up', 'saved', 'default'] as const;
export type BackendPreferenceSource = (typeof backendPreferenceSources)[number];

export interface BackendPreferenceInForce extends BackendPreference {
  source: BackendPreferenceSource;
}
