import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { FromWorker, ToWorker } from '../training/protocol';
import type { TrainingProcess } from './types';

/**
 * The built training entry. Bundled code sits beside it in out/main; code run from source (tests) uses the
 * repository's build, so `npm run build` must have run first.
 */
export function trainingWorkerPath(): string {
  const candidates = [
    process.env.VAE_WORKBENCH_WORKER,
    join(__dirname, 'training-worker.js'),
    resolve(__dirname, '../../out/main/training-worker.js'),
  ].filter((p): p is string => typeof p === 'string' && p.length > 0);
  const found = candidates.find((p) => existsSync(p));
  if (!found) {
    throw new Error(`training worker not found (looked in ${candidates.join(', ')}); run \`npm run build\` first`);
  }
  return found;
}

/** Starts the training process with child_process.fork: the CLI, browser mode and tests use this. */
export function forkTraining(workerPath: string = trainingWorkerPath()): TrainingProcess {
  const child = fork(workerPath, [], {
    // Structured clone lets Float32Array weights and Uint8Array images cross without JSON.
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return {
    get pid() {
      return child.pid;
    },
    send(message: ToWorker) {
      if (child.connected) child.send(message);
    },
    onMessage(listener) {
      child.on('message', (message) => listener(message as FromWorker));
    },
    onExit(listener) {
      child.once('exit', (code, signal) => listener(code, signal));
    },
    kill() {
      child.kill('SIGKILL');
    },
  };
}
