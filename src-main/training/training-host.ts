import { portParent, type PortLike, type PortParent } from '../child/message-port';
import type { DatasetSource, ImageDataset } from '../records';
import type { FromWorker, ToWorker } from './protocol';
import { runTrainingProcess } from './training-process';
import { reportWindowGpu, selectWindowBackend, type WindowGpuReport } from './window-backend';
import type { GpuLike } from './webgpu-proof';

/**
 * The training process's message loop hosted by a page (the desktop app's hidden WebGPU window) instead of a
 * process: the same protocol (protocol.ts), the same loop (training-process.ts) and trainer. What a process reads
 * itself, the page asks of main over the port: the dataset (it has no file system and no SQLite).
 */

/** What main serves the page. */
export type TrainingHostServices = { dataset: { input: DatasetSource; output: ImageDataset } };

export type TrainingHostPort = PortParent<ToWorker, FromWorker, TrainingHostServices>;

export interface TrainingHostOptions {
  gpu: GpuLike | undefined;
  importWebgpuBackend(): Promise<void>;
}

/** What the page says when it starts: its adapter, so main can route a run with backend auto here or not. */
export interface TrainingHostHello {
  gpu: WindowGpuReport;
}

/** Starts once the page's adapter is known; messages main sends meanwhile wait in the port. */
export async function runTrainingHost(port: PortLike, options: TrainingHostOptions): Promise<TrainingHostPort> {
  const hello: TrainingHostHello = { gpu: await reportWindowGpu(options.gpu) };
  const parent = portParent<ToWorker, FromWorker, TrainingHostServices>(port, hello);
  runTrainingProcess(parent, {
    loadDataset: (source) => parent.request('dataset', source),
    // The app resolves 'auto' and the environment before a run reaches the window: what arrives is explicit.
    startBackend: (preferred, { allowSoftwareGpu }) =>
      selectWindowBackend(preferred, {
        allowSoftwareGpu: allowSoftwareGpu === true,
        gpu: options.gpu,
        importWebgpuBackend: options.importWebgpuBackend,
      }),
  });
  return parent;
}

/** The page's last word when something escaped the loop: the run fails with the reason, as a crashed process's would. */
export function reportHostCrash(parent: TrainingHostPort, reason: unknown): void {
  const message = reason instanceof Error ? `${reason.name}: ${reason.message}` : String(reason);
  parent
    .send({ type: 'failed', epoch: 0, message: `the WebGPU window crashed: ${message}` })
    .catch(() => undefined)
    .finally(() => parent.exit(1));
}
