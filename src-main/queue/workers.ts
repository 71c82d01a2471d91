import { availableParallelism } from 'node:os';
import { ApiError } from '../../src-shared/api';

/** Backends that use a whole device (a GPU, or TensorFlow's own thread pool): one run at a time unless asked. */
const deviceBackends = new Set(['tensorflow', 'webgpu']);

/** The most runs one machine may be asked to train at once: twice its cores (beyond that they only contend). */
export function maxWorkers(cores: number = availableParallelism()): number {
  return Math.max(2, cores * 2);
}

/**
 * How many runs train at once when nobody said: a wasm or cpu run uses one core, so all cores but one (left for the
 * app and the store), at most 8; a GPU or native TensorFlow run wants the device to itself, so 1.
 */
export function automaticWorkers(
  backend: string | null,
  cores: number = availableParallelism(),
): { workers: number; reason: string } {
  if (backend !== null && deviceBackends.has(backend)) {
    return { workers: 1, reason: `the ${backend} backend uses the whole device: one run at a time` };
  }
  const workers = Math.max(1, Math.min(cores - 1, 8));
  return {
    workers,
    reason: `${backend ?? 'a wasm'} run uses one core: ${cores} cores, one left for the app${cores - 1 > 8 ? ', at most 8' : ''}`,
  };
}

/** A number of workers someone typed: an integer from 1 to maxWorkers, or an error naming the value and the range. */
export function checkWorkers(workers: unknown, cores: number = availableParallelism()): number {
  const max = maxWorkers(cores);
  if (typeof workers !== 'number' || !Number.isInteger(workers) || workers < 1 || workers > max) {
    throw new ApiError(
      'ConfigError',
      `workers = ${JSON.stringify(workers)}: allowed: an integer from 1 to ${max} (twice this machine's ${cores} cores)`,
    );
  }
  return workers;
}
