import type { ExperimentConfig } from './config';

/** Plain typed objects that leave the store; database rows never do. */

export const runStatuses = [
  'queued',
  'running',
  'paused',
  'finished',
  'failed',
  'interrupted',
  'cancelled',
  'stopped-early',
] as const;
export type RunStatus = (typeof runStatuses)[number];

export type Split = 'train' | 'test';

/** Losses in nats per example, summed over pixels (never averaged per pixel). */
export interface SplitMetrics {
  recon: number;
  kl: number;
  /** β·KL with the β in force at that epoch. */
  betaKl: number;
  /** ELBO = −(recon + KL). */
  elbo: number;
  /** α·recon + β·KL: the objective minimised. */
  loss: number;
  /** The IWAE bound L_k with k = iwaeSamples (α = β = 1; Burda et al. 2016): test split of runs trained with k > 1. */
  iwae?: number | null;
  /**
   * E_q Σ_d (x_d − x̂_d)² per image, x̂ the decoder's mean at the z of the reconstruction term (z = μ(x) for a
   * deterministic code): a distortion that needs no likelihood.
   */
  sqError?: number | null;
}

export interface EpochMetrics {
  runId: number;
  epoch: number;
  split: Split;
  recon: number;
  kl: number;
  betaKl: number;
  elbo: number;
  loss: number;
  /** See SplitMetrics; null where not recorded. */
  iwae?: number | null;
  sqError?: number | null;
  beta: number;
  /** Set when any of the values is NaN or ±Inf. */
  nonFinite: boolean;
}

export interface LatentStats {
  runId: number;
  epoch: number;
  /** KL of each latent dimension on the test split, nats per example. */
  klPerDim: number[];
  /** Cov_x(E_q[z_j|x]): the activity statistic of Burda et al. */
  muVariancePerDim: number[];
  activeUnits: number;
}

export interface EpochTiming {
  wallTimeSec: number;
  examplesPerSec: number;
  numTensors: number;
}

/** The WebGPU adapter a run trained on, as the driver names it (GPUAdapterInfo). */
export interface GpuAdapter {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** A CPU emulation (lavapipe, SwiftShader): isFallbackAdapter or architecture 'software'. */
  software: boolean;
}

/** "mesa software llvmpipe (software adapter)": how the UI, the CLI and reports name an adapter in one line. */
export function describeAdapter(adapter: GpuAdapter): string {
  const parts = [adapter.vendor, adapter.architecture, adapter.device].filter((p) => p !== '');
  const name = parts.length > 0 ? parts.join(' ') : adapter.description || 'unnamed adapter';
  return adapter.software ? `${name} (software adapter)` : name;
}

/** "webgpu on mesa software llvmpipe (software adapter)", "wasm", or null before the run has started. */
export function describeRunBackend(run: { backend: string | null; adapter: GpuAdapter | null }): string | null {
  if (run.backend === null) return null;
  return run.adapter === null ? run.backend : `${run.backend} on ${describeAdapter(run.adapter)}`;
}

export interface BackendInfo {
  backend: string;
  /** For webgpu: the adapter it runs on. */
  adapter?: GpuAdapter;
  /** Why each better backend was not used, e.g. "tensorflow: @tensorflow/tfjs-node-gpu is not installed". */
  skipped: { backend: string; reason: string }[];
}

export interface RunSummary {
  id: number;
  experimentId: number;
  experimentName: string;
  name: string;
  status: RunStatus;
  config: ExperimentConfig;
  backend: string | null;
  /** The WebGPU adapter, for runs trained on webgpu. */
  adapter: GpuAdapter | null;
  backendNote: string | null;
  error: string | null;
  epochsDone: number;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  durationSec: number;
  queuePosition: number | null;
  notes: string;
  tags: string[];
  last: { train: SplitMetrics | null; test: SplitMetrics | null };
  best: { testElbo: number | null; testElboEpoch: number | null; testRecon: number | null; testKl: number | null };
  activeUnits: number | null;
  /** The stopping rule of its sweep: 'median' stops it as `stopped-early` when it trails its finished peers. */
  earlyStop: EarlyStopRule | null;
  /** Times its training process died and the queue put it back by itself (reset when the researcher resumes it). */
  retries: number;
}

/** Median stopping (Golovin et al., Google Vizier, 2017): see src-shared/early-stop.ts. */
export const earlyStopRules = ['median'] as const;
export type EarlyStopRule = (typeof earlyStopRules)[number];

export interface CheckpointInfo {
  runId: number;
  epoch: number;
  testElbo: number | null;
  hasOptimizerState: boolean;
  bytes: number;
  createdAt: string;
}

export interface Experiment {
  id: number;
  name: string;
  createdAt: string;
  runCount: number;
}

/** Live progress of the run in training, sent to the UI and the CLI's progress line every few batches. */
export interface RunProgress {
  runId: number;
  epoch: number;
  epochs: number;
  batch: number;
  batches: number;
  /** Running means over the current epoch, nats per example. */
  recon: number;
  kl: number;
  loss: number;
  examplesPerSec: number;
  /** Seconds left for the whole run, from the measured throughput; null before the first batches. */
  etaSec: number | null;
}

export type NllJobState = 'starting' | 'running' | 'finished' | 'failed' | 'cancelled';

/** The payload of onNllProgress: one estimate in progress (one per run at a time). */
export interface NllProgress {
  runId: number;
  /** The checkpoint's epoch; null until the child has found the newest checkpoint. */
  epoch: number | null;
  k: number;
  /** Test examples done so far and in all. */
  done: number;
  total: number;
  /** Seconds left from the measured pace; null before the first batch. */
  etaSec: number | null;
  state: NllJobState;
  /** Set when finished. */
  nll: number | null;
  /** Set when failed. */
  error: string | null;
}

/** Small image strips shown per epoch (compare view, reports): 8-bit grey, row-major, width × height each. */
export interface EpochImages {
  width: number;
  height: number;
  inputs: Uint8Array[];
  reconstructions: Uint8Array[];
  samples: Uint8Array[];
}
