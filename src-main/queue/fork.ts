import { builtEntry, forkChild } from '../child/fork';
import type { FromWorker, ToWorker } from '../training/protocol';
import type { TrainingProcess } from './types';

/**
 * V8 flags of a training process. Its garbage collector runs on the process's own thread: the parallel collector's
 * helper threads only compete with the other runs when every core trains one (bench:sweep, 2 workers on 2 cores:
 * 1.60× one worker with them, 1.77× without; one worker alone is as fast either way).
 */
export const trainingV8Flags = ['--single-threaded-gc'] as const;

/** Starts the training process with child_process.fork: the CLI, browser mode and tests use this. */
export function forkTraining(workerPath: string = builtEntry('training-worker')): TrainingProcess {
  return forkChild<ToWorker, FromWorker>(workerPath, [], { v8Flags: trainingV8Flags });
}
