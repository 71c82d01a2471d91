import { utilityProcess } from 'electron';
import type { FromWorker, ToWorker } from '../training/protocol';
import type { TrainingProcess } from '../queue/types';

/**
 * The training process in the desktop app: Electron's utilityProcess (a Node child without a window),
 * so TF.js never runs on main's event loop. Messages are structured-cloned, like fork's 'advanced' mode.
 */
export function utilityTraining(workerPath: string): TrainingProcess {
  const child = utilityProcess.fork(workerPath, [], { serviceName: 'VAE Workbench training', stdio: 'inherit' });
  let exited = false;
  child.once('exit', () => (exited = true));
  return {
    get pid() {
      return child.pid;
    },
    send(message: ToWorker) {
      if (!exited) child.postMessage(message);
    },
    onMessage(listener) {
      child.on('message', (message: unknown) => listener(message as FromWorker));
    },
    onExit(listener) {
      // utilityProcess reports only a code; a kill shows up as a non-zero code.
      child.once('exit', (code: number) => listener(code, null));
    },
    kill() {
      child.kill();
    },
  };
}
