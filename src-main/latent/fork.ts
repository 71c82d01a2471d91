import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { FromLatent, ToLatent } from './protocol';
import type { LatentProcess } from './service';

/**
 * The built latent entry. Bundled code sits beside it in out/main; code run from source (tests) uses the
 * repository's build, so `npm run build` must have run first.
 */
export function latentWorkerPath(): string {
  const candidates = [
    process.env.VAE_WORKBENCH_LATENT_WORKER,
    join(__dirname, 'latent-worker.js'),
    resolve(__dirname, '../../out/main/latent-worker.js'),
  ].filter((p): p is string => typeof p === 'string' && p.length > 0);
  const found = candidates.find((p) => existsSync(p));
  if (!found) {
    throw new Error(`latent worker not found (looked in ${candidates.join(', ')}); run \`npm run build\` first`);
  }
  return found;
}

/** Starts the latent process with child_process.fork: the CLI, browser mode, benchmarks and tests use this. */
export function forkLatent(dbPath: string, workerPath: string = latentWorkerPath()): LatentProcess {
  const child = fork(workerPath, [dbPath], {
    // Structured clone lets Uint8Array images cross without JSON.
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return {
    get pid() {
      return child.pid;
    },
    send(message: ToLatent) {
      if (child.connected) child.send(message);
    },
    onMessage(listener) {
      child.on('message', (message) => listener(message as FromLatent));
    },
    onExit(listener) {
      child.once('exit', (code, signal) => listener(code, signal));
    },
    kill() {
      child.kill('SIGKILL');
    },
  };
}
