import type { ExperimentConfig } from '../../src-shared/config';
import type { BackendInfo, SplitMetrics } from '../../src-shared/runs';

/**
 * Messages between the queue runner (parent) and the training process (child). The child owns TF.js and
 * never touches the store: it streams results back and the parent writes them, each epoch in one transaction
 * with its checkpoint, so a kill at any instant leaves either the whole epoch or none of it.
 * Sent with structured clone (fork's 'advanced' serialization / utilityProcess postMessage), so typed arrays
 * cross without JSON.
 */

/** A tensor by name, plain data: weights and optimizer state cross processes and go into BLOBs like this. */
export interface NamedArray {
  name: string;
  shape: number[];
  data: Float32Array;
}

export interface CheckpointPayload {
  epoch: number;
  weights: NamedArray[];
  /** Adam's moments and step count; absent when the retention policy keeps weights only. */
  optimizer: NamedArray[] | null;
}

/** Where the child reads a dataset from; resolved by the parent, read by the child. */
export type DatasetSource =
  | {
      kind: 'idx-files';
      name: string;
      trainImages: string;
      trainLabels: string;
      testImages: string;
      testLabels: string;
    }
  | { kind: 'stored'; name: string; dbPath: string; datasetId: string };

/** Small image strips shown per epoch (compare view, reports): 8-bit grey, row-major, width × height each. */
export interface EpochImages {
  width: number;
  height: number;
  inputs: Uint8Array[];
  reconstructions: Uint8Array[];
  samples: Uint8Array[];
}

export type ToWorker =
  | {
      type: 'start';
      runId: number;
      config: ExperimentConfig;
      dataset: DatasetSource;
      /** Resume from this checkpoint: training continues at checkpoint.epoch + 1. */
      resumeFrom: CheckpointPayload | null;
      /** Force a backend (tests, benchmarks); null picks the best available. */
      backend: string | null;
    }
  | { type: 'stop' };

export interface EpochResult {
  type: 'epoch';
  epoch: number;
  beta: number;
  train: SplitMetrics;
  test: SplitMetrics;
  klPerDim: number[];
  muVariancePerDim: number[];
  activeUnits: number;
  wallTimeSec: number;
  examplesPerSec: number;
  /** tf.memory().numTensors after the epoch: must stay flat across epochs. */
  numTensors: number;
  images: EpochImages;
  /** Present on epochs the checkpoint policy saves. */
  checkpoint: CheckpointPayload | null;
}

export type FromWorker =
  | { type: 'ready'; backend: BackendInfo }
  | {
      type: 'batch';
      epoch: number;
      batch: number;
      batches: number;
      /** Running means over the epoch so far, nats per example. */
      recon: number;
      kl: number;
      loss: number;
      examplesPerSec: number;
    }
  | EpochResult
  | { type: 'failed'; epoch: number; message: string }
  | { type: 'finished' };
