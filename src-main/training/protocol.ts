import type { ExperimentConfig } from '../../src-shared/config';
import type { BackendInfo } from '../../src-shared/runs';
import type { CheckpointPayload, DatasetSource, EpochResult } from '../records';

export type { CheckpointPayload, DatasetSource, EpochImages, EpochResult, NamedArray } from '../records';

/**
 * Messages between the queue runner (parent) and the training process (child). The child owns TF.js and
 * never touches the store: it streams results back and the parent writes them, each epoch in one transaction
 * with its checkpoint, so a kill at any instant leaves either the whole epoch or none of it.
 * Sent with structured clone (fork's 'advanced' serialization / utilityProcess postMessage), so typed arrays
 * cross without JSON.
 */

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
