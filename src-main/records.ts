import type { EpochImages, SplitMetrics } from '../src-shared/runs';

/**
 * The records the store, the datasets and the training process pass to one another: plain data, so each of them
 * imports only this module and never one another. Sent between processes by structured clone (typed arrays cross
 * as they are) and stored as BLOBs.
 */

/** An image dataset in memory: 8-bit grey images, row-major, as read from idx files. */
export interface ImageSplit {
  /** count × height × width bytes, 0–255. */
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
  height: number;
  width: number;
}

export interface ImageDataset {
  name: string;
  train: ImageSplit;
  test: ImageSplit;
}

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
  /** The worker over Redis that trained the epoch; absent when the workbench trained it itself. */
  trainedBy?: { worker: string; host: string };
}
