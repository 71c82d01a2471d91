import type { FromWorker, ToWorker } from '../training/protocol';

export type { RunProgress } from '../../src-shared/runs';

/**
 * A training child process, whatever starts it: child_process.fork (CLI, browser mode, tests) or Electron's
 * utilityProcess (desktop app). The runner only needs to talk to it and learn when it exits.
 */
export interface TrainingProcess {
  readonly pid: number | undefined;
  send(message: ToWorker): void;
  onMessage(listener: (message: FromWorker) => void): void;
  /** Called once when the process ends, by itself or killed; code null when killed by a signal. */
  onExit(listener: (code: number | null, signal: string | null) => void): void;
  kill(): void;
}

export type SpawnTraining = () => TrainingProcess;
