import type { ExperimentConfig } from '../../src-shared/config';
import type { BackendInfo, RunProgress } from '../../src-shared/runs';
import type { CheckpointPayload, DatasetSource, EpochResult } from '../records';

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
      /** Force a backend, or 'auto'; null takes VAE_WORKBENCH_BACKEND, else the best available. */
      backend: string | null;
      /** Lets webgpu use a software adapter; absent: VAE_WORKBENCH_ALLOW_SOFTWARE_GPU decides. */
      allowSoftwareGpu?: boolean;
      /** After a run that finished or stopped, say 'idle' and wait for the next start instead of exiting. */
      keepAlive?: boolean;
      /**
       * The cores this run may use for its matrix products (the blas backend's threads): the machine's cores shared
       * among the runs that train at once. Absent: all of them.
       */
      cpuThreads?: number;
    }
  | { type: 'stop' };

export type FromWorker =
  | { type: 'ready'; backend: BackendInfo }
  /** Progress within an epoch: the run's live progress less what only the parent knows (run id, epochs, ETA). */
  | ({ type: 'batch' } & Omit<RunProgress, 'runId' | 'epochs' | 'etaSec'>)
  | EpochResult
  | { type: 'failed'; epoch: number; message: string }
  | { type: 'finished' }
  /** The run is over and this process (started with keepAlive) waits for the next start. */
  | { type: 'idle' };
