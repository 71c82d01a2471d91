import type { ParentPort } from '../child/parent-port';
import type { BackendInfo } from '../../src-shared/runs';
import type { ImageDataset } from '../records';
import type { DatasetSource } from '../records';
import type { FromWorker, ToWorker } from './protocol';
import { trainRun } from './trainer';
import type { RunProfiler } from './run-profile';

/**
 * The training process's message loop, independent of how the process was started. worker.ts connects it to its
 * parent's port (child_process.fork or Electron's utilityProcess), training-host.ts to the desktop app's WebGPU window
 * (a page, over a MessagePort); tests drive it through a fake port. It imports nothing of Node.
 */

export type WorkerPort = ParentPort<ToWorker, FromWorker>;

export interface TrainingProcessDeps {
  loadDataset(source: DatasetSource): Promise<ImageDataset>;
  /**
   * Starts the backend: selectBackend in a process (backend.ts), Chromium's WebGPU in the desktop app's window
   * (window-backend.ts); tests pass one with fake native packages. Passed in so this loop loads nothing of Node.
   */
  startBackend: (preferred: string | null, options: { allowSoftwareGpu?: boolean }) => Promise<BackendInfo>;
  /** Gives the backend this many CPU threads (backend.ts setCpuThreads); absent where threads are not ours to set. */
  setCpuThreads?: (threads: number) => void;
  /** Where the run's CPU time per phase goes (bench:sweep; worker.ts passes runProfiler()); default none. */
  profiler?: RunProfiler | null;
}

type Start = Extract<ToWorker, { type: 'start' }>;

/**
 * Exit codes: 0 finished or stopped, 1 the run failed (reported in a 'failed' message), 2 a protocol error.
 * A start with `keepAlive` leaves the process waiting for the next start after a run that finished or stopped: it says
 * 'idle' instead of exiting, so a sweep's next run skips the start-up (TF.js import, backend probe, dataset read).
 * The backend chosen and the last dataset read are kept for that; every run builds its model, optimizer and random
 * streams afresh from its own config, so its numbers are those of a run in a fresh process.
 */
export function runTrainingProcess(port: WorkerPort, deps: TrainingProcessDeps): void {
  const profiler = deps.profiler ?? null;
  let training = false;
  let ranBefore = false;
  let stopRequested = false;
  let epoch = 0;
  let backend: { key: string; info: BackendInfo } | null = null;
  let dataset: { key: string; data: ImageDataset } | null = null;

  const fail = async (message: string, code: number): Promise<void> => {
    try {
      await port.sendFinal({ type: 'failed', epoch, message });
    } finally {
      port.exit(code);
    }
  };

  const startBackend = async (message: Start): Promise<BackendInfo> => {
    const key = JSON.stringify([message.backend, message.allowSoftwareGpu ?? null]);
    if (backend?.key !== key) {
      const info = await deps.startBackend(message.backend, {
        allowSoftwareGpu: message.allowSoftwareGpu,
      });
      backend = { key, info };
    }
    return backend.info;
  };

  const loadDataset = async (source: DatasetSource): Promise<ImageDataset> => {
    const key = JSON.stringify(source);
    // Only the last one is kept: a sweep trains its runs on one dataset, and a dataset can be large.
    if (dataset?.key !== key) dataset = { key, data: await deps.loadDataset(source) };
    return dataset.data;
  };

  const train = async (message: Start): Promise<void> => {
    try {
      profiler?.begin(message.runId, ranBefore);
      const info = await startBackend(message);
      if (message.cpuThreads !== undefined) deps.setCpuThreads?.(message.cpuThreads);
      profiler?.phase('backend');
      await port.send({ type: 'ready', backend: info });
      const data = await loadDataset(message.dataset);
      profiler?.phase('dataset');
      if (stopRequested) return end(message, 0);
      const outcome = await trainRun({
        config: message.config,
        dataset: data,
        resumeFrom: message.resumeFrom,
        onBatch: (progress) => {
          epoch = progress.epoch;
          void port.send(progress);
          if (progress.batch === progress.batches) profiler?.phase('train');
        },
        // Awaited: the next epoch's batches wait until this epoch and its checkpoint have left the process.
        onEpoch: async (result) => {
          profiler?.phase('evaluate');
          await port.send(result);
          profiler?.phase('send-epoch');
          epoch = result.epoch + 1;
        },
        shouldStop: () => stopRequested,
      });
      profiler?.phase('train');
      if (outcome.status === 'failed') {
        epoch = outcome.epoch;
        profiler?.end();
        await fail(outcome.message, 1);
        return;
      }
      // A process about to exit waits until its parent has the message (the kit's acknowledgement); a kept one goes on.
      if (outcome.status === 'finished') {
        if (message.keepAlive) await port.send({ type: 'finished' });
        else await port.sendFinal({ type: 'finished' });
      }
      end(message, 0);
    } catch (error) {
      profiler?.end();
      await fail(error instanceof Error ? `${error.name}: ${error.message}` : String(error), 1);
    }
  };

  const end = (message: Start, code: number): void => {
    profiler?.end();
    if (message.keepAlive) {
      training = false;
      ranBefore = true;
      void port.send({ type: 'idle' });
    } else {
      port.exit(code);
    }
  };

  port.onMessage((message) => {
    if (message.type === 'stop') {
      // Between runs there is nothing to stop: a stop meant for the run that just ended arrives late.
      if (!training && ranBefore) return;
      stopRequested = true;
      // Nothing in flight yet: there is no batch to finish.
      if (!training) port.exit(0);
      return;
    }
    if (message.type !== 'start') {
      void fail(
        `unknown message type ${JSON.stringify((message as { type?: unknown }).type)}; expected 'start' or 'stop'`,
        2,
      );
      return;
    }
    if (training) {
      void fail(
        `a second 'start' (run ${message.runId}) arrived while a run is training; one process trains one run at a time`,
        2,
      );
      return;
    }
    training = true;
    stopRequested = false;
    epoch = message.resumeFrom === null ? 1 : message.resumeFrom.epoch + 1;
    void train(message);
  });
}
