import type { ParentPort } from '../child/parent-port';
import type { BackendInfo } from '../../src-shared/runs';
import type { ImageDataset } from '../records';
import { selectBackend } from './backend';
import type { DatasetSource } from '../records';
import type { FromWorker, ToWorker } from './protocol';
import { trainRun } from './trainer';

/**
 * The training process's message loop, independent of how the process was started. worker.ts connects it to its
 * parent's port (child_process.fork or Electron's utilityProcess); tests drive it through a fake port.
 */

export type WorkerPort = ParentPort<ToWorker, FromWorker>;

export interface TrainingProcessDeps {
  loadDataset(source: DatasetSource): Promise<ImageDataset>;
  /** Starts the backend (default: selectBackend); tests pass one with fake native packages. */
  startBackend?: (preferred: string | null, options: { allowSoftwareGpu?: boolean }) => Promise<BackendInfo>;
}

/** Exit codes: 0 finished or stopped, 1 the run failed (reported in a 'failed' message), 2 a protocol error. */
export function runTrainingProcess(port: WorkerPort, deps: TrainingProcessDeps): void {
  let started = false;
  let stopRequested = false;
  let epoch = 0;

  const fail = async (message: string, code: number): Promise<void> => {
    try {
      await port.sendFinal({ type: 'failed', epoch, message });
    } finally {
      port.exit(code);
    }
  };

  port.onMessage((message) => {
    if (message.type === 'stop') {
      stopRequested = true;
      // Nothing in flight yet: there is no batch to finish.
      if (!started) port.exit(0);
      return;
    }
    if (message.type !== 'start') {
      void fail(
        `unknown message type ${JSON.stringify((message as { type?: unknown }).type)}; expected 'start' or 'stop'`,
        2,
      );
      return;
    }
    if (started) {
      void fail(
        `a second 'start' (run ${message.runId}) arrived while a run is training; one process trains one run`,
        2,
      );
      return;
    }
    started = true;
    epoch = message.resumeFrom === null ? 1 : message.resumeFrom.epoch + 1;
    void (async () => {
      try {
        const backend = await (deps.startBackend ?? selectBackend)(message.backend, {
          allowSoftwareGpu: message.allowSoftwareGpu,
        });
        await port.send({ type: 'ready', backend });
        const dataset = await deps.loadDataset(message.dataset);
        if (stopRequested) return port.exit(0);
        const outcome = await trainRun({
          config: message.config,
          dataset,
          resumeFrom: message.resumeFrom,
          onBatch: (progress) => {
            epoch = progress.epoch;
            void port.send(progress);
          },
          // Awaited: the next epoch's batches wait until this epoch and its checkpoint have left the process.
          onEpoch: async (result) => {
            await port.send(result);
            epoch = result.epoch + 1;
          },
          shouldStop: () => stopRequested,
        });
        if (outcome.status === 'failed') {
          epoch = outcome.epoch;
          await fail(outcome.message, 1);
          return;
        }
        if (outcome.status === 'finished') await port.sendFinal({ type: 'finished' });
        port.exit(0);
      } catch (error) {
        await fail(error instanceof Error ? `${error.name}: ${error.message}` : String(error), 1);
      }
    })();
  });
}
