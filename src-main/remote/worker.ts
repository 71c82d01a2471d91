import { createHash, randomBytes } from 'node:crypto';
import { homedir, hostname } from 'node:os';
import { join } from 'node:path';
import { deserialize } from 'node:v8';
import { Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { builtinDatasetSource } from '../data/builtin';
import type { DatasetSource, ImageDataset } from '../records';
import { listImportedDatasets, saveImportedDataset } from '../store/datasets';
import { openDatabase } from '../store/db';
import type { FromWorker } from '../training/protocol';
import type { SpawnTraining, TrainingProcess } from '../queue/types';
import { cpuThreadsPerRun, TrainingProcessPool } from '../queue/process-pool';
import { describeAdapter, type BackendInfo } from '../../src-shared/runs';
import {
  decodeCheckpoint,
  encodeCheckpoint,
  encodeEntry,
  keys,
  parseTrainingJob,
  QUEUE_NAME,
  type ResultEntry,
  type TrainedBy,
} from './protocol';
import { connectRedis } from './connection';
import { withoutSecret, type RedisTarget } from './redis-url';

export interface RemoteWorkerOptions {
  target: RedisTarget;
  spawn: SpawnTraining;
  /** Runs trained at once, each in its own training process. */
  concurrency?: number;
  /** Forced backend for every run this worker trains; null: the job's choice. */
  backend?: string | null;
  /** How long a job's lock lasts without renewal, ms (BullMQ's default 30 s); tests shorten it. */
  lockDurationMs?: number;
  /** How often stalled jobs (a lapsed lock: a dead worker) are looked for and put back, ms. */
  stalledIntervalMs?: number;
  /** How often a worker looks whether the coordinator asked a run to stop, ms. */
  stopPollMs?: number;
  heartbeatMs?: number;
  log?: (line: string) => void;
  /** Where imported datasets fetched from Redis are kept (a small database); default ~/.cache/vae-workbench. */
  cacheDir?: string;
  /** A name for this worker; default host:pid:random. */
  id?: string;
  /** Let a training process train this worker's next job too (default true); false starts one per job. */
  reuseProcesses?: boolean;
}

interface Heartbeat {
  host: string;
  backend: string;
  /** Runs this worker trains at once: the coordinator publishes as many as all workers' add up to. */
  concurrency: number;
  currentRuns: number[];
}

/**
 * A stateless worker: takes training jobs from Redis, trains each in its own training process (the same child as the
 * local queue's), and writes each epoch durably into the run's results stream, together with the newest checkpoint so
 * that a job redelivered to another worker after this one dies resumes from there. Needs no database.
 */
export class RemoteWorker {
  readonly id: string;
  readonly host = hostname();
  private readonly redis: Redis;
  /** BullMQ leaves a connection it was given open: closed here. */
  private readonly workerConnection: Redis;
  private readonly worker: Worker;
  private readonly children = new Set<TrainingProcess>();
  /** A training process trains this worker's next job too, as the local queue's slots do. */
  private readonly pool: TrainingProcessPool;
  private closing = false;
  private readonly heartbeat: Heartbeat;
  private readonly heartbeatTimer: ReturnType<typeof setInterval>;
  private readonly log: (line: string) => void;
  private readonly secret: string | undefined;
  private crashed = false;
  /** Jobs taken and finished: for --exit-when-idle and tests. */
  completed = 0;
  failed = 0;

  constructor(private readonly options: RemoteWorkerOptions) {
    this.id = options.id ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
    this.secret = options.target.options.password;
    this.log = options.log ?? ((line) => console.error(line));
    this.redis = this.connect();
    const concurrency = options.concurrency ?? 1;
    this.pool = new TrainingProcessPool({
      spawn: options.spawn,
      canKeep: (idle) => !this.closing && this.children.size + idle < concurrency,
      reuse: options.reuseProcesses,
    });
    this.heartbeat = {
      host: this.host,
      backend: options.backend ?? 'auto',
      concurrency: options.concurrency ?? 1,
      currentRuns: [],
    };
    const lockDuration = options.lockDurationMs ?? 30_000;
    this.worker = new Worker(QUEUE_NAME, (job) => this.train(job), {
      connection: (this.workerConnection = this.connect()),
      concurrency: options.concurrency ?? 1,
      lockDuration,
      stalledInterval: options.stalledIntervalMs ?? lockDuration,
      // A job whose worker died goes back to waiting this many times before BullMQ fails it.
      maxStalledCount: 3,
      autorun: true,
    });
    this.worker.on('failed', (job, error) => {
      this.failed += 1;
      this.log(`worker ${this.id}: job ${job?.id ?? '?'} failed: ${withoutSecret(error.message, this.secret)}`);
    });
    this.worker.on('completed', () => void (this.completed += 1));
    this.worker.on('error', (error) => this.log(`worker ${this.id}: ${withoutSecret(error.message, this.secret)}`));
    this.heartbeatTimer = setInterval(() => void this.beat(), options.heartbeatMs ?? 5000);
    this.heartbeatTimer.unref();
    void this.beat();
  }

  /**
   * Resolves once no job has been running or waiting for `idleMs` on end (a coordinator that is still starting has
   * published nothing yet: leaving at the first empty look would miss its runs). Looks every `everyMs`.
   */
  async untilIdle(idleMs: number, everyMs = 500): Promise<void> {
    let idleSince = Date.now();
    for (;;) {
      await new Promise((r) => setTimeout(r, everyMs));
      const [waiting, prioritized, active, delayed] = await Promise.all([
        this.redis.llen(`bull:${QUEUE_NAME}:wait`),
        this.redis.zcard(`bull:${QUEUE_NAME}:prioritized`),
        this.redis.llen(`bull:${QUEUE_NAME}:active`),
        this.redis.zcard(`bull:${QUEUE_NAME}:delayed`),
      ]).catch(() => [1, 0, 0, 0]);
      if (this.children.size > 0 || waiting + prioritized + active + delayed > 0) idleSince = Date.now();
      else if (Date.now() - idleSince >= idleMs) return;
    }
  }

  /** Lets the jobs in training finish, then leaves. */
  async close(): Promise<void> {
    clearInterval(this.heartbeatTimer);
    this.closing = true;
    this.pool.endIdle();
    await this.worker.close();
    this.pool.endIdle();
    await this.redis.del(keys.worker(this.id)).catch(() => undefined);
    this.redis.disconnect();
    this.workerConnection.disconnect();
  }

  /**
   * A worker dying as a kill -9 would leave it (tests): training processes killed, nothing more written, locks not
   * renewed and not released, so they lapse and another worker takes the jobs.
   */
  async crash(): Promise<void> {
    this.crashed = true;
    this.closing = true;
    clearInterval(this.heartbeatTimer);
    for (const child of this.children) child.kill();
    this.pool.endIdle();
    this.redis.disconnect();
    await this.worker.close(true).catch(() => undefined);
    this.workerConnection.disconnect();
  }

  private connect(): Redis {
    return connectRedis(this.options.target, (line) => this.log(line));
  }

  /** The cache database holding datasets fetched from Redis. */
  get cacheDbPath(): string {
    const dir = this.options.cacheDir ?? process.env.VAE_WORKBENCH_CACHE ?? join(homedir(), '.cache', 'vae-workbench');
    return join(dir, 'datasets.db');
  }

  /**
   * An imported dataset by content: fetched from Redis the first time this machine needs it, checked against its
   * hash, and kept in the cache database, from which the training process reads it as it reads any stored dataset.
   */
  private async cachedDataset(name: string, sha256: string): Promise<DatasetSource> {
    const cacheId = `sha256-${sha256.slice(0, 40)}`;
    const source: DatasetSource = { kind: 'stored', name, dbPath: this.cacheDbPath, datasetId: cacheId };
    const cache = openDatabase(this.cacheDbPath);
    try {
      if (listImportedDatasets(cache).some((d) => d.id === cacheId)) return source;
      const content = await this.redis.getBuffer(keys.dataset(sha256));
      if (!content) throw new Error(`dataset ${name} (sha256 ${sha256.slice(0, 12)}…) is not in Redis`);
      const got = createHash('sha256').update(content).digest('hex');
      if (got !== sha256) throw new Error(`dataset ${name} from Redis has sha256 ${got}, expected ${sha256}`);
      const dataset = deserialize(content) as ImageDataset;
      try {
        saveImportedDataset(cache, { id: cacheId, title: name, dataset, sourceFiles: [`redis: ${sha256}`] });
      } catch (error) {
        // Another job (or worker process on this machine) cached it first.
        if (!listImportedDatasets(cache).some((d) => d.id === cacheId)) throw error;
      }
      return source;
    } finally {
      cache.close();
    }
  }

  private async beat(): Promise<void> {
    if (this.crashed) return;
    const key = keys.worker(this.id);
    await this.redis
      .multi()
      .hset(key, {
        host: this.heartbeat.host,
        backend: this.heartbeat.backend,
        concurrency: String(this.heartbeat.concurrency),
        currentRuns: this.heartbeat.currentRuns.join(','),
        lastHeartbeat: new Date().toISOString(),
      })
      .pexpire(key, 3 * (this.options.heartbeatMs ?? 5000))
      .exec()
      .catch(() => undefined);
  }

  private async train(job: Job): Promise<void> {
    const training = parseTrainingJob(job.id, job.data);
    const { runId, config } = training;
    const dataset =
      training.dataset.kind === 'builtin'
        ? builtinDatasetSource(training.dataset.id)
        : await this.cachedDataset(training.dataset.id, training.dataset.sha256);
    const stored = await this.redis.getBuffer(keys.checkpoint(runId));
    const resumeFrom = stored ? decodeCheckpoint(stored) : null;
    const trainedBy: TrainedBy = { worker: this.id, host: this.host };
    this.heartbeat.currentRuns.push(runId);
    void this.beat();

    const backend = this.options.backend ?? training.backend;
    const child = this.pool.lease(JSON.stringify([backend, training.allowSoftwareGpu ?? null]));
    this.children.add(child);
    // Writes go out one after another, so the stream keeps the order the child sent them in.
    let writes: Promise<unknown> = Promise.resolve();
    const write = (entry: ResultEntry, checkpoint?: Buffer): void => {
      if (this.crashed) return;
      writes = writes.then(async () => {
        if (this.crashed) return;
        const multi = this.redis.multi().xadd(keys.results(runId), '*', 'm', encodeEntry(entry));
        if (checkpoint) multi.set(keys.checkpoint(runId), checkpoint);
        await multi.exec();
      });
    };
    let stopped = false;
    let ended: ResultEntry | null = null;
    const stopPoll = setInterval(() => {
      void this.redis
        .exists(keys.stop(runId))
        .then((present) => {
          if (present && !stopped) {
            stopped = true;
            child.send({ type: 'stop' });
          }
        })
        .catch(() => undefined);
    }, this.options.stopPollMs ?? 200);

    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
      child.onExit((code, signal) => {
        // At once, before the pool decides whether the process may wait for this worker's next job.
        this.children.delete(child);
        resolve({ code, signal });
      }),
    );
    child.onMessage((message: FromWorker) => {
      switch (message.type) {
        case 'ready':
          this.heartbeat.backend = describeBackend(message.backend);
          write({ type: 'ready', backend: message.backend, ...trainedBy });
          break;
        case 'batch':
          if (!this.crashed) {
            void this.redis.publish(keys.progress(runId), JSON.stringify(message)).catch(() => undefined);
            void job
              .updateProgress({ epoch: message.epoch, batch: message.batch, batches: message.batches })
              .catch(() => undefined);
          }
          break;
        case 'epoch':
          write(
            { ...message, trainedBy },
            message.checkpoint?.optimizer ? encodeCheckpoint(message.checkpoint) : undefined,
          );
          break;
        case 'failed':
        case 'finished':
          ended = message;
          break;
      }
    });
    child.send({
      type: 'start',
      runId,
      config,
      dataset,
      resumeFrom,
      backend,
      ...(training.allowSoftwareGpu === undefined ? {} : { allowSoftwareGpu: training.allowSoftwareGpu }),
      cpuThreads: cpuThreadsPerRun(this.heartbeat.concurrency),
    });
    try {
      const { code, signal } = await exited;
      // The heartbeat says the worker is free before the coordinator can learn that the run ended.
      this.heartbeat.currentRuns = this.heartbeat.currentRuns.filter((id) => id !== runId);
      await this.beat();
      const last: ResultEntry = ended ?? (stopped ? { type: 'stopped' } : { type: 'exit', code, signal });
      write(last);
      await writes;
    } finally {
      clearInterval(stopPoll);
      this.children.delete(child);
      this.heartbeat.currentRuns = this.heartbeat.currentRuns.filter((id) => id !== runId);
    }
    if (this.crashed) throw new Error('this worker was stopped');
  }
}

function describeBackend(info: BackendInfo): string {
  return info.adapter ? `${info.backend} (${describeAdapter(info.adapter)})` : info.backend;
}
