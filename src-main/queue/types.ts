import type { ChildHandle } from '../child/handle';
import type { FromWorker, ToWorker } from '../training/protocol';

export type { RunProgress } from '../../src-shared/runs';

/**
 * A training child process, whatever starts it: child_process.fork (CLI, browser mode, tests) or Electron's
 * utilityProcess (desktop app). The runner only needs to talk to it and learn when it exits.
 */
export type TrainingProcess = ChildHandle<ToWorker, FromWorker>;

export type SpawnTraining = () => TrainingProcess;
