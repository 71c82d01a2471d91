import { builtEntry, forkChild } from '../child/fork';
import type { FromWorker, ToWorker } from '../training/protocol';
import type { TrainingProcess } from './types';

/** Starts the training process with child_process.fork: the CLI, browser mode and tests use this. */
export function forkTraining(workerPath: string = builtEntry('training-worker')): TrainingProcess {
  return forkChild<ToWorker, FromWorker>(workerPath);
}
