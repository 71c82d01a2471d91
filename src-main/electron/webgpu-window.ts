import { portChild, type PortLike } from '../child/message-port';
import { loadDatasetSource } from '../data/load';
import type { TrainingProcess } from '../queue/types';
import type { DatasetSource, ImageDataset } from '../records';
import type { FromWorker, ToWorker } from '../training/protocol';
import type { TrainingHostHello, TrainingHostServices } from '../training/training-host';

/**
 * Main's side of the hidden WebGPU window, without Electron (training-window.ts creates the window and its port):
 * the window as a training process the queue runner cannot tell from a forked one, and what main serves it.
 */

/** The window as main controls it. */
export interface HostWindow {
  /** Closes the window at once (a no-op once it is gone). */
  destroy(): void;
  /** The window went away by itself: its renderer crashed or was killed, or it was closed. */
  onGone(listener: (reason: string) => void): void;
  pid?: number;
}

export interface TrainingWindowOptions {
  /** How the dataset the page asks for is read; default: from its files or the SQLite store, as a process would. */
  loadDataset?: (source: DatasetSource) => Promise<ImageDataset>;
  /** A page that has not started within this time is given up. */
  startTimeoutMs?: number;
  /** The page's adapter (or why it has none), as soon as it starts. */
  onHello?: (hello: TrainingHostHello) => void;
}

export function trainingWindowChild(
  port: PortLike,
  window: HostWindow,
  options: TrainingWindowOptions = {},
): TrainingProcess {
  const loadDataset = options.loadDataset ?? loadDatasetSource;
  return portChild<ToWorker, FromWorker, TrainingHostServices>(port, {
    services: { dataset: (source) => loadDataset(source) },
    destroy: () => window.destroy(),
    onGone: (listener) => window.onGone(listener),
    ...(options.startTimeoutMs === undefined ? {} : { startTimeoutMs: options.startTimeoutMs }),
    ...(window.pid === undefined ? {} : { pid: window.pid }),
    onHello: (about) => options.onHello?.(about as TrainingHostHello),
  });
}
