// First: stops an old Node with a message before better-sqlite3 can crash it.
import '../require-node';
import { parentPort } from '../child/parent-port';
import { loadDatasetSource } from '../data/load';
import { runTrainingProcess, type WorkerPort } from './training-process';
import { selectBackend, setCpuThreads } from './backend';
import { runProfiler } from './run-profile';
import { quietTfjs } from '../tfjs-quiet';

quietTfjs();

/**
 * Entry of the training process (out/main/training-worker.js), started by the queue runner through
 * child_process.fork (serialization 'advanced') or Electron's utilityProcess. It owns TF.js; see protocol.ts.
 * Exits with its parent.
 */

let port: WorkerPort;
try {
  port = parentPort(process);
} catch (error) {
  console.error((error as Error).message);
  process.exit(2);
}

function reportCrash(reason: unknown): void {
  const message = reason instanceof Error ? `${reason.name}: ${reason.message}` : String(reason);
  setTimeout(() => process.exit(1), 2000).unref();
  port
    .sendFinal({ type: 'failed', epoch: 0, message: `the training process crashed: ${message}` })
    .catch(() => undefined)
    .finally(() => port.exit(1));
}

process.on('uncaughtException', reportCrash);
process.on('unhandledRejection', reportCrash);
runTrainingProcess(port, {
  loadDataset: loadDatasetSource,
  startBackend: selectBackend,
  setCpuThreads,
  profiler: runProfiler(),
});
