import { forkTraining } from '../queue/fork';
import type { WorkbenchOptions } from '../workbench/workbench';
import { RedisCoordinator } from './coordinator';
import { parseRedisUrl, type RedisTarget } from './redis-url';
import { RemoteWorker } from './worker';

/** The command line's side of scale-out: `worker`, and `run|serve --redis URL`. */

interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
}

export const WORKER_HELP = `vae-workbench worker --redis URL [--concurrency N] [--backend auto|wasm|webgpu|…] [--exit-when-idle]
Trains runs published by a workbench started with \`run --redis URL\` or \`serve --redis URL\`, N at once (default 1),
each in its own training process. Needs no database: each run's config, data and checkpoint come through Redis.
URL: redis://[user:password@]host[:port][/db], or rediss://… for TLS; the password is never printed. \`--redis env\`
reads the URL from $VAE_WORKBENCH_REDIS, which keeps the password out of \`ps\` and shell history.
--exit-when-idle leaves once no run has been waiting or training for --idle-seconds S (default 30): a Slurm job
array's tasks, for instance. $VAE_WORKBENCH_LOCK_MS: how long a run's lock lasts (default 30000): a worker that dies
is replaced by another after this long.`;

/** How long an --exit-when-idle worker waits with nothing to do before it leaves, by default, s. */
export const DEFAULT_IDLE_SECONDS = 30;

/**
 * How long a worker's job lock lasts, ms (BullMQ's default 30 s): a killed worker's run waits this long before another
 * worker resumes it. Tests shorten it; a cluster whose workers pause for long (swapping) may lengthen it.
 */
export const LOCK_MS_ENV = 'VAE_WORKBENCH_LOCK_MS';

/** The lock duration the environment asks for, or undefined for BullMQ's default; an error names a bad value. */
export function lockDurationFromEnv(raw: string | undefined = process.env[LOCK_MS_ENV]): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  const ms = Number(raw);
  if (!Number.isInteger(ms) || ms < 500 || ms > 3_600_000) {
    throw new Error(`$${LOCK_MS_ENV} = ${JSON.stringify(raw)}: allowed: an integer number of ms from 500 to 3600000`);
  }
  return ms;
}

/** Where --redis may come from instead, so the password stays out of the process list (`ps`) and shell history. */
export const REDIS_URL_ENV = 'VAE_WORKBENCH_REDIS';

export function redisTarget(flag: string | undefined, usage: (message: string) => Error): RedisTarget | null {
  const raw = flag === 'env' ? process.env[REDIS_URL_ENV] : flag;
  if (flag === 'env' && raw === undefined) throw usage(`--redis env: $${REDIS_URL_ENV} is not set`);
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

/** --redis URL or --redis=URL among a program's arguments (Electron passes flags of its own too). */
export function redisFlag(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--redis') {
      const value = argv[i + 1];
      if (value === undefined || value.startsWith('--')) {
        throw new Error('--redis needs a URL: redis://[user:password@]host[:port][/db], rediss://…, or env');
      }
      return value;
    }
    if (argv[i].startsWith('--redis=')) return argv[i].slice('--redis='.length);
  }
  return undefined;
}

/** What the desktop app's --redis asks for, read as `serve --redis` reads it; null without the flag. */
export function desktopRedisTarget(argv: readonly string[]): RedisTarget | null {
  return redisTarget(redisFlag(argv), (message) => new Error(message));
}

/**
 * The desktop app as a coordinator (`--redis URL` on its command line, like `serve --redis URL`): the workbench's
 * options that send its runs to the workers, and the coordinator to close after the workbench. null without --redis.
 */
export function desktopCoordinator(
  argv: readonly string[],
): { options: Pick<WorkbenchOptions, 'spawn' | 'remoteSlots' | 'remoteWorkers'>; close: () => Promise<void> } | null {
  const target = desktopRedisTarget(argv);
  if (!target) return null;
  const remote = startCoordinator(target, { out: (line) => console.log(line), err: (line) => console.error(line) });
  return {
    options: { spawn: remote.spawn, remoteSlots: remote.workerSlots, remoteWorkers: () => remote.listWorkers() },
    close: () => remote.close(),
  };
}

/** The coordinator of `run|serve --redis URL`; close it after the workbench. */
export function startCoordinator(target: RedisTarget, io: Io): RedisCoordinator {
  io.out(`Coordinator: runs are published to the workers on ${target.shown}`);
  return new RedisCoordinator({ target, log: (line) => io.err(line) });
}

export async function runWorker(
  options: { target: RedisTarget; concurrency: number; backend: string | null; exitWhenIdleSec: number | null },
  io: Io,
): Promise<number> {
  const lockDurationMs = lockDurationFromEnv();
  const worker = new RemoteWorker({
    target: options.target,
    spawn: () => forkTraining(),
    concurrency: options.concurrency,
    backend: options.backend,
    ...(lockDurationMs === undefined ? {} : { lockDurationMs, heartbeatMs: Math.min(5000, lockDurationMs) }),
    log: (line) => io.err(line),
  });
  io.out(
    `Worker ${worker.id} on ${options.target.shown}: up to ${options.concurrency} run${options.concurrency === 1 ? '' : 's'} at once` +
      (options.exitWhenIdleSec !== null
        ? `; leaves after ${options.exitWhenIdleSec} s with no run waiting`
        : '; Ctrl-C to stop'),
  );
  let onSignal = (): void => undefined;
  const stop = new Promise<void>((resolve) => (onSignal = resolve));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  await Promise.race(
    options.exitWhenIdleSec !== null ? [stop, worker.untilIdle(options.exitWhenIdleSec * 1000)] : [stop],
  );
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  io.out(
    `Worker ${worker.id}: leaving after ${worker.completed} run${worker.completed === 1 ? '' : 's'} (${worker.failed} failed jobs)`,
  );
  await worker.close();
  return 0;
}
