import { builtEntry, forkChild } from '../child/fork';
import type { FromLatent, ToLatent } from './protocol';
import type { LatentProcess } from './service';

/** Starts the latent process with child_process.fork: the CLI, browser mode, benchmarks and tests use this. */
export function forkLatent(dbPath: string, workerPath: string = builtEntry('latent-worker')): LatentProcess {
  return forkChild<ToLatent, FromLatent>(workerPath, [dbPath]);
}
