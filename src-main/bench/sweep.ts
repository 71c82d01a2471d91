import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src-shared/config';
import { forkTraining } from '../queue/fork';
import { QueueRunner } from '../queue/runner';
import { openDatabase } from '../store/db';
import { listRuns, queueRuns } from '../store/runs';
import { RedisCoordinator } from '../remote/coordinator';
import { parseRedisUrl } from '../remote/redis-url';
import { RemoteWorker } from '../remote/worker';
import { REDIS_SERVER, TestRedis } from '../testing/redis-server';
import { PROFILE_DIR_ENV } from '../training/run-profile';
import {
  childrenCpuSeconds,
  describeSweepCpu,
  ownCpuSeconds,
  processesGone,
  readProfiles,
  type SweepCpu,
} from './sweep-cpu';

/**
 * Sweep throughput: runs per hour of a small reference sweep (the reference MLP VAE 784-512-20, batch 128, on a
 * subset of MNIST) trained by the local queue with 1 and with 2 workers, each run in its own training process, and by
 * N workers over Redis on loopback (a redis-server of the benchmark's own, coordinator and workers in this process,
 * each run in its own training process as always).
 * Each setting also says where the CPU went (coordinator and training processes, per phase): CPU seconds per run are
 * robust to other work on the machine, which wall-clock throughput is not. --reuse no starts a training process per
 * run (as before processes were kept across runs); both alternates the two.
 * Usage: bench-sweep [--runs N] [--epochs N] [--train-subset N] [--workers 1,2] [--redis-workers N|0]
 *   [--backend wasm|cpu|tensorflow] [--reuse yes|no|both]
 */

interface Options {
  runs: number;
  epochs: number;
  trainSubset: number;
  workers: number[];
  /** Workers over Redis for the last line; 0 leaves it out. */
  redisWorkers: number;
  backend: string | null;
  /** Whether a slot's training process trains its next run too: each setting is measured with each listed. */
  reuse: boolean[];
}

function parseArgs(argv: string[]): Options {
  const options: Options = {
    runs: 6,
    epochs: 1,
    trainSubset: 6000,
    workers: [1, 2],
    redisWorkers: 2,
    backend: null,
    reuse: [true],
  };
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i];
    const value = argv[i + 1] ?? '';
    const positiveInt = (text: string): number => {
      const n = Number(text);
      if (!Number.isInteger(n) || n < 1)
        throw new Error(`${flag} ${JSON.stringify(text)}: expected a positive integer`);
      return n;
    };
    if (flag === '--runs') options.runs = positiveInt(value);
    else if (flag === '--epochs') options.epochs = positiveInt(value);
    else if (flag === '--train-subset') options.trainSubset = positiveInt(value);
    else if (flag === '--workers') options.workers = value.split(',').map(positiveInt);
    else if (flag === '--backend') options.backend = value;
    else if (flag === '--reuse') {
      const modes: Record<string, boolean[]> = { yes: [true], no: [false], both: [false, true] };
      const reuse = modes[value];
      if (!reuse) throw new Error(`--reuse ${JSON.stringify(value)}: expected yes, no or both`);
      options.reuse = reuse;
    } else if (flag === '--redis-workers') options.redisWorkers = value === '0' ? 0 : positiveInt(value);
    else
      throw new Error(
        `unknown argument ${flag}; use --runs N, --epochs N, --train-subset N, --workers 1,2, --redis-workers N, --backend NAME, --reuse yes|no|both`,
      );
  }
  return options;
}

async function sweepSeconds(
  options: Options,
  workers: number,
  reuse: boolean,
  overRedis = false,
): Promise<{ seconds: number; finished: number; backend: string; cpu: SweepCpu }> {
  const dir = mkdtempSync(join(tmpdir(), 'vae-bench-sweep-'));
  const dbPath = join(dir, 'bench.db');
  const profileDir = join(dir, 'profiles');
  mkdirSync(profileDir);
  // The training processes inherit it: each leaves its phases' CPU time there.
  process.env[PROFILE_DIR_ENV] = profileDir;
  const db = openDatabase(dbPath);
  try {
    const configs = Array.from({ length: options.runs }, (_, seed) =>
      parseConfig({
        hiddenSizes: [512],
        latentDim: 20,
        batchSize: 128,
        epochs: options.epochs,
        trainSubset: options.trainSubset,
        testSubset: 1000,
        seed,
      }),
    );
    queueRuns(db, { experimentName: `bench ${workers} workers`, configs });
    const redis = overRedis ? await TestRedis.start() : null;
    const target = redis ? parseRedisUrl(redis.url) : null;
    const coordinator = target ? new RedisCoordinator({ target }) : null;
    const remoteWorkers = target
      ? Array.from(
          { length: workers },
          () =>
            new RemoteWorker({
              target,
              spawn: () => forkTraining(),
              concurrency: 1,
              backend: options.backend,
              reuseProcesses: reuse,
            }),
        )
      : [];
    const runner = new QueueRunner({
      db,
      dbPath,
      spawn: coordinator?.spawn ?? (() => forkTraining()),
      backend: options.backend,
      // Over Redis as many runs are published as the workers train at once.
      workers: coordinator ? coordinator.workerSlots : workers,
      reuseProcesses: reuse,
    });
    coordinator?.onWorkerSlotsChanged(() => runner.wake());
    const childrenBefore = childrenCpuSeconds();
    const ownBefore = ownCpuSeconds();
    const started = performance.now();
    const outcomes = await runner.runUntilEmpty();
    const seconds = (performance.now() - started) / 1000;
    for (const worker of remoteWorkers) await worker.close();
    await coordinator?.close();
    await redis?.stop();
    const profiles = readProfiles(profileDir);
    // A child's CPU time is counted once it has been reaped.
    await processesGone([...new Set(profiles.map((p) => p.pid))]);
    const childrenAfter = childrenCpuSeconds();
    const runs = listRuns(db);
    return {
      seconds,
      finished: outcomes.filter((o) => o.status === 'finished').length,
      backend: [...new Set(runs.map((r) => r.backend ?? '?'))].join(', '),
      cpu: {
        runs: options.runs,
        parentSec: ownCpuSeconds() - ownBefore,
        childrenSec: childrenBefore === null || childrenAfter === null ? null : childrenAfter - childrenBefore,
        runner: runner.cpu,
        profiles,
      },
    };
  } finally {
    delete process.env[PROFILE_DIR_ENV];
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const [load1, load5] = loadavg();
  console.log(
    `Sweep throughput: ${options.runs} runs of the reference MLP VAE (784-512-20, batch 128), ${options.epochs} epoch(s) on ` +
      `${options.trainSubset} MNIST training examples each; ${availableParallelism()} cores; load average ` +
      `${load1.toFixed(2)} ${load5.toFixed(2)} at the start.`,
  );
  const modeName = (reuse: boolean): string => (reuse ? 'processes kept across runs' : 'a process per run');
  // A list such as 1,2,1,2 alternates the settings, so load from other work on the machine falls on both alike.
  const perHour = new Map<string, number[]>();
  const cpuPerRun = new Map<string, number[]>();
  const key = (workers: number, reuse: boolean): string => `${workers} ${reuse}`;
  for (const workers of options.workers) {
    for (const reuse of options.reuse) {
      const { seconds, finished, backend, cpu } = await sweepSeconds(options, workers, reuse);
      if (finished !== options.runs)
        throw new Error(`${workers} workers: only ${finished} of ${options.runs} runs finished`);
      const rate = (options.runs / seconds) * 3600;
      perHour.set(key(workers, reuse), [...(perHour.get(key(workers, reuse)) ?? []), rate]);
      if (cpu.childrenSec !== null) {
        const perRun = (cpu.parentSec + cpu.childrenSec) / options.runs;
        cpuPerRun.set(key(workers, reuse), [...(cpuPerRun.get(key(workers, reuse)) ?? []), perRun]);
      }
      console.log(
        `${workers} worker${workers === 1 ? ' ' : 's'} (${modeName(reuse)}): ${seconds.toFixed(1)} s for ${options.runs} runs = ` +
          `${rate.toFixed(0)} runs/hour (${backend}); load average ${loadavg()[0].toFixed(2)}`,
      );
      for (const line of describeSweepCpu(cpu)) console.log(line);
    }
  }
  if (options.redisWorkers > 0 && existsSync(REDIS_SERVER)) {
    const reuse = options.reuse[options.reuse.length - 1];
    const { seconds, finished, backend, cpu } = await sweepSeconds(options, options.redisWorkers, reuse, true);
    if (finished !== options.runs)
      throw new Error(`${options.redisWorkers} workers over Redis: only ${finished} of ${options.runs} runs finished`);
    const rate = (options.runs / seconds) * 3600;
    console.log(
      `${options.redisWorkers} workers over Redis on loopback (${modeName(reuse)}): ${seconds.toFixed(1)} s for ${options.runs} runs = ${rate.toFixed(0)} runs/hour (${backend})`,
    );
    for (const line of describeSweepCpu(cpu)) console.log(line);
  } else if (options.redisWorkers > 0) {
    console.log(`workers over Redis: skipped, ${REDIS_SERVER} is not installed (apt-get install redis-server)`);
  }
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  const counts = [...new Set(options.workers)].sort((a, b) => a - b);
  for (const reuse of options.reuse) {
    for (const workers of counts) {
      const cpu = cpuPerRun.get(key(workers, reuse));
      if (cpu) console.log(`CPU per run, ${workers} worker(s), ${modeName(reuse)}: ${mean(cpu).toFixed(2)} s (mean)`);
    }
    for (const workers of counts.slice(1)) {
      const ratio = mean(perHour.get(key(workers, reuse)) ?? []) / mean(perHour.get(key(counts[0], reuse)) ?? []);
      console.log(
        `speed-up of ${workers} workers over ${counts[0]}, ${modeName(reuse)}: ${ratio.toFixed(2)}× (mean runs/hour)`,
      );
    }
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
