import { builtEntry, forkChild } from '../child/fork';
import type { BackendPreference } from '../../src-shared/backends';
import type { FromLatent, ToLatent } from './protocol';
import type { LatentProcess } from './service';

/** The latent process's command line: the database path, and the backend when one was asked for (worker.ts reads it). */
export function latentArgs(dbPath: string, backend?: BackendPreference): string[] {
  if (backend === undefined) return [dbPath];
  return [`--backend=${backend.backend}`, ...(backend.allowSoftwareGpu ? ['--allow-software-gpu'] : []), dbPath];
}

/** What worker.ts reads back from latentArgs; undefined when the command line names no backend. */
export function backendFromArgs(args: readonly string[]): string | undefined {
  const flag = args.find((a) => a.startsWith('--backend='));
  return flag === undefined ? undefined : flag.slice('--backend='.length);
}

/** Starts the latent process with child_process.fork: the CLI, browser mode, benchmarks and tests use this. */
export function forkLatent(
  dbPath: string,
  workerPath: string = builtEntry('latent-worker'),
  backend?: BackendPreference,
): LatentProcess {
  return forkChild<ToLatent, FromLatent>(workerPath, latentArgs(dbPath, backend));
}
