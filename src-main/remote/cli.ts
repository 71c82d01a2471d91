import { forkTraining } from '../queue/fork';
import { RedisCoordinator } from './coordinator';
import { parseRedisUrl, type RedisTarget } from './redis-url';
import { RemoteWorker } from './worker';

/** The command line's side of scale-out: `worker`, and `run|serve --redis URL`. */

interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
}

/** How many runs a coordinator publishes at once when --workers is not given. */
export const DEFAULT_REMOTE_SLOTS = 16;

export const WORKER_HELP = `vae-workbench worker --redis URL [--concurrency N] [--backend auto|wasm|webgpu|…] [--exit-when-idle]
Trains runs published by a workbench started with \`run --redis URL\` or \`serve --redis URL\`, N at once (default 1),
each in its own training process. Needs no database: each run's config, data and checkpoint come through Redis.
URL: redis://[user:password@]host[:port][/db], or rediss://… for TLS; the password is never printed.
--exit-when-idle leaves once no run is waiting or training (a Slurm job array's tasks, for instance).`;

export function redisTarget(raw: string | undefined, usage: (message: string) => Error): RedisTarget | null {
  if (raw === undefined) return null;
  try {
    return parseRedisUrl(raw);
  } catch (error) {
    throw usage((error as Error).message);
  }
}

export function positiveInteger(
  name: string,
  raw: string | undefined,
  usage: (message: string) => Error,
): number | null {
  if (raw === undefined) return null;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 256) {
    throw usage(`--${name} ${JSON.stringify(raw)}: allowed: an integer from 1 to 256`);
  }
  return n;
}

/** The coordinator of `run|serve --redis URL`; close it after the workbench. */
export function startCoordinator(target: RedisTarget, io: Io): RedisCoordinator {
  io.out(`Coordinator: runs are published to the workers on ${target.shown}`);
  return new RedisCoordinator({ target, log: (line) => io.err(line) });
}

export async function runWorker(
  options: { target: RedisTarget; concurrency: number; backend: string | null; exitWhenIdle: boolean },
  io: Io,
): Promise<number> {
  const worker = new RemoteWorker({
    target: options.target,
    spawn: () => forkTraining(),
    concurrency: options.concurrency,
    backend: options.backend,
    log: (line) => io.err(line),
  });
  io.out(
    `Worker ${worker.id} on ${options.target.shown}: up to ${options.concurrency} run${options.concurrency === 1 ? '' : 's'} at once` +
      (options.exitWhenIdle ? '; leaves when no run is waiting' : '; Ctrl-C to stop'),
  );
  const stop = new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await Promise.race(options.exitWhenIdle ? [stop, worker.untilIdle()] : [stop]);
  io.out(
    `Worker ${worker.id}: leaving after ${worker.completed} run${worker.completed === 1 ? '' : 's'} (${worker.failed} failed jobs)`,
  );
  await worker.close();
  return 0;
}
