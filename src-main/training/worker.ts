import { loadDatasetSource } from '../data/load';
import { exitWithParent, portFromProcess, runTrainingProcess } from './training-process';

/**
 * Entry of the training process (out/main/training-worker.js), started by the queue runner through
 * child_process.fork (serialization 'advanced') or Electron's utilityProcess. It owns TF.js; see protocol.ts.
 */

process.on('uncaughtException', (error) => reportCrash(error));
process.on('unhandledRejection', (reason) => reportCrash(reason));

function reportCrash(reason: unknown): void {
  const message = reason instanceof Error ? `${reason.name}: ${reason.message}` : String(reason);
  try {
    port.send({ type: 'failed', epoch: 0, message: `the training process crashed: ${message}` }).finally(() => process.exit(1));
  } catch {
    process.exit(1);
  }
  setTimeout(() => process.exit(1), 2000).unref();
}

const port = portFromProcess(process);
exitWithParent(process);
runTrainingProcess(port, { loadDataset: loadDatasetSource });
