import { createHash } from 'node:crypto';
import { serialize } from 'node:v8';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { isBuiltinDatasetId } from '../data/builtin';
import type { DatasetSource } from '../records';
import { loadImportedDataset } from '../store/datasets';
import { openDatabase } from '../store/db';
import type { FromWorker, ToWorker } from '../training/protocol';
import type { SpawnTraining, TrainingProcess } from '../queue/types';
import { backendChoices } from '../../src-shared/backends';
import type { RemoteWorkerInfo } from '../../src-shared/api';
import {
  decodeEntry,
  encodeCheckpoint,
  jobIdFor,
  keys,
  QUEUE_NAME,
  type ResultEntry,
  type TrainedBy,
  type TrainingJob,
} from './protocol';
import { connectRedis } from './connection';
import { withoutSecret, type RedisTarget } from './redis-url';

type Start = Extract<ToWorker, { type: 'start' }>;

/** What the coordinator's runner hears from a remote slot: the training protocol, plus who trained each epoch. */
export type RemoteMessage = FromWorker & Partial<TrainedBy>;

export interface RedisCoordinatorOptions {
  target: RedisTarget;
  /** How long one blocking read of a run's results waits before the job's state is looked at, ms. */
  readBlockMs?: number;
  /** Where messages about Redis go (never with the password). */
  log?: (line: string) => void;
  /** How often the workers' heartbeats are read to learn how many runs they train at once, ms. */
  workerScanMs?: number;
}

/**
 * The coordinator's side of scale-out: each slot of the QueueRunner is a BullMQ job instead of a local process. The
 * runner stays the single writer of the store: a slot publishes the run as a job, then drains the run's results
 * stream and hands each entry to the runner as if a local training process had sent it. Delivery is at least once
 * (a redelivered job repeats epochs after its checkpoint; a restarted coordinator reads the stream again), so the slot
 * forwards epoch e only when it is the next one the store expects, and skips every repeat.
 */
export class RedisCoordinator {
  readonly queue: Queue;
  private readonly redis: Redis;
  private readonly readers = new Set<Redis>();
  private readonly subscriber: Redis;
  private readonly progressListeners = new Map<number, (message: FromWorker) => void>();
  private readonly readBlockMs: number;
  private readonly log: (line: string) => void;
  private readonly secret: string | undefined;
  private closed = false;
  /** Imported datasets already in Redis: database path and id → SHA-256 of the content. */
  private readonly datasetHashes = new Map<string, string>();
  /** How many runs the live workers train at once, summed, as their heartbeats last said. */
  private liveWorkerSlots = 0;
  private readonly workerScan: ReturnType<typeof setInterval>;
  private readonly slotListeners = new Set<() => void>();

  constructor(private readonly options: RedisCoordinatorOptions) {
    this.secret = options.target.options.password;
    this.log = options.log ?? ((line) => console.error(line));
    this.readBlockMs = options.readBlockMs ?? 1000;
    this.redis = this.connect();
    this.subscriber = this.connect();
    this.queue = new Queue(QUEUE_NAME, { connection: this.redis });
    this.subscriber.on('pmessage', (_pattern: string, channel: string, text: string) => {
      const runId = Number(/:run:(\d+):progress$/.exec(channel)?.[1]);
      const listener = this.progressListeners.get(runId);
      if (!listener) return;
      try {
        listener(JSON.parse(text) as FromWorker);
      } catch {
        // A progress message that is not JSON is dropped: progress is only ever a live view.
      }
    });
    void this.subscriber.psubscribe(keys.progress(0).replace(':0:', ':*:')).catch(() => undefined);
    this.workerScan = setInterval(() => void this.countWorkerSlots(), options.workerScanMs ?? 1000);
    this.workerScan.unref();
    void this.countWorkerSlots();
  }

  /**
   * The runner's number of slots by default: as many runs as the live workers train at once (at least one). Only those
   * are published; the rest wait in the store's queue, where reordering, pausing and cancelling reach them, and the
   * next run published is whichever is first in the queue when a worker frees.
   */
  readonly workerSlots = (): number => Math.max(1, this.liveWorkerSlots);

  /** Called when the live workers' slots change (a worker joined or left): the runner looks at its queue again. */
  onWorkerSlotsChanged(listener: () => void): () => void {
    this.slotListeners.add(listener);
    return () => this.slotListeners.delete(listener);
  }

  private async countWorkerSlots(): Promise<void> {
    try {
      const beats = await this.heartbeats();
      const slots = beats.reduce((sum, beat) => sum + (Number(beat.concurrency) || 1), 0);
      if (slots === this.liveWorkerSlots || this.closed) return;
      this.liveWorkerSlots = slots;
      for (const listener of this.slotListeners) listener();
    } catch {
      // Redis unreachable: keep the last count; ioredis reconnects on its own.
    }
  }

  /** Every live worker's heartbeat hash, with the worker's id. */
  private async heartbeats(): Promise<(Record<string, string> & { id: string })[]> {
    const found: (Record<string, string> & { id: string })[] = [];
    let cursor = '0';
    do {
      const [next, names] = await this.redis.scan(cursor, 'MATCH', keys.workerPattern, 'COUNT', 100);
      cursor = next;
      for (const name of names) {
        const beat = await this.redis.hgetall(name);
        if (beat.host) found.push({ ...beat, id: name.slice(keys.worker('').length) });
      }
    } while (cursor !== '0');
    return found;
  }

  /** The runner's `spawn`: every call is one remote slot. */
  readonly spawn: SpawnTraining = () => this.slot();

  /** The workers whose heartbeat is alive, by host then name. */
  async listWorkers(): Promise<RemoteWorkerInfo[]> {
    const found: RemoteWorkerInfo[] = (await this.heartbeats()).map((beat) => ({
      id: beat.id,
      host: beat.host,
      backend: beat.backend ?? 'auto',
      currentRunIds: (beat.currentRuns ?? '').split(',').filter(Boolean).map(Number),
      lastHeartbeat: beat.lastHeartbeat ?? '',
    }));
    return found.sort((a, b) => a.host.localeCompare(b.host) || a.id.localeCompare(b.id));
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.workerScan);
    await this.queue.close();
    for (const reader of this.readers) reader.disconnect();
    this.subscriber.disconnect();
    this.redis.disconnect();
  }

  private connect(): Redis {
    return connectRedis(this.options.target, (line) => this.log(line));
  }

  private slot(): TrainingProcess {
    const messageListeners: ((message: RemoteMessage) => void)[] = [];
    const exitListeners: ((code: number | null, signal: string | null) => void)[] = [];
    let exited = false;
    let runId = 0;
    // After close() a slot says nothing more, as a killed coordinator would: its runs are recovered by the next one.
    const emit = (message: RemoteMessage): void => {
      if (!exited && !this.closed) for (const listener of messageListeners) listener(message);
    };
    const exit = (code: number | null, signal: string | null): void => {
      if (exited || this.closed) return;
      exited = true;
      this.progressListeners.delete(runId);
      setTimeout(() => exitListeners.forEach((listener) => listener(code, signal)), 0);
    };
    const fail = (message: string): void => {
      emit({ type: 'failed', epoch: 0, message: withoutSecret(message, this.secret) });
      exit(1, null);
    };
    return {
      pid: undefined,
      send: (message: ToWorker) => {
        if (exited) return;
        if (message.type === 'stop') {
          void this.redis
            .set(keys.stop(runId), '1')
            .catch((error: Error) => this.log(`run ${runId}: ${error.message}`));
          return;
        }
        runId = message.runId;
        this.progressListeners.set(runId, (m) => {
          if (m.type === 'batch') emit(m);
        });
        this.publish(message)
          .then(() => this.drain(message, emit, exit, () => exited))
          .catch((error: Error) => fail(`could not train run ${runId} over Redis: ${error.message}`));
      },
      onMessage: (listener) => void messageListeners.push(listener as (message: RemoteMessage) => void),
      onExit: (listener) => void exitListeners.push(listener),
      // The run may still be training on a worker: ask it to stop, and stop waiting for it here.
      kill: () => {
        if (runId > 0) void this.redis.set(keys.stop(runId), '1').catch(() => undefined);
        exit(null, 'SIGKILL');
      },
    };
  }

  /** Publishes the run as a job, unless a job for it is still alive (a restarted coordinator re-attaches to it). */
  private async publish(start: Start): Promise<void> {
    const { runId, config } = start;
    const dataset = isBuiltinDatasetId(config.dataset)
      ? ({ kind: 'builtin', id: config.dataset } as const)
      : await this.publishDataset(start.dataset);
    const jobId = jobIdFor(runId);
    const existing = await this.queue.getJob(jobId);
    if (existing) {
      const state = await existing.getState();
      const pending = await this.redis.xlen(keys.results(runId));
      if ((state === 'completed' || state === 'failed') && pending === 0) {
        // A finished job whose results were all drained belongs to an earlier attempt: start afresh.
        await existing.remove();
      } else {
        await this.redis.del(keys.stop(runId));
        return;
      }
    }
    const resumeEpoch = start.resumeFrom?.epoch ?? 0;
    const multi = this.redis.multi().del(keys.stop(runId)).del(keys.results(runId)).del(keys.checkpoint(runId));
    if (start.resumeFrom) multi.set(keys.checkpoint(runId), encodeCheckpoint(start.resumeFrom));
    await multi.exec();
    const data: TrainingJob = {
      kind: 'vae-workbench-training',
      runId,
      config,
      dataset,
      resumeEpoch,
      backend: backendChoices.find((choice) => choice === start.backend) ?? null,
      ...(start.allowSoftwareGpu === undefined ? {} : { allowSoftwareGpu: start.allowSoftwareGpu }),
    };
    await this.queue.add('train', data, { jobId, attempts: 1, removeOnComplete: false, removeOnFail: false });
  }

  /** Puts an imported dataset's content in Redis once, under its hash, for workers that have no database. */
  private async publishDataset(source: DatasetSource): Promise<{ kind: 'content'; id: string; sha256: string }> {
    if (source.kind !== 'stored') throw new Error(`dataset ${source.name} is neither built in nor imported`);
    const known = this.datasetHashes.get(`${source.dbPath}\0${source.datasetId}`);
    if (known && (await this.redis.exists(keys.dataset(known))) === 1) {
      return { kind: 'content', id: source.datasetId, sha256: known };
    }
    const db = openDatabase(source.dbPath, { readonly: true });
    let content: Buffer;
    try {
      const dataset = loadImportedDataset(db, source.datasetId);
      if (!dataset) throw new Error(`dataset ${source.datasetId} is not in ${source.dbPath}`);
      content = serialize(dataset);
    } finally {
      db.close();
    }
    const sha256 = createHash('sha256').update(content).digest('hex');
    await this.redis.set(keys.dataset(sha256), content, 'NX');
    this.datasetHashes.set(`${source.dbPath}\0${source.datasetId}`, sha256);
    return { kind: 'content', id: source.datasetId, sha256 };
  }

  /**
   * Reads the run's results stream from its start until an ending entry, forwarding each new epoch once. Between
   * reads it looks at the job: a job BullMQ failed (malformed, or stalled too often) ends the run as failed.
   */
  private async drain(
    start: Start,
    emit: (message: RemoteMessage) => void,
    exit: (code: number | null, signal: string | null) => void,
    hasExited: () => boolean,
  ): Promise<void> {
    const { runId } = start;
    const reader = this.connect();
    this.readers.add(reader);
    let lastEpoch = start.resumeFrom?.epoch ?? 0;
    let cursor = '0';
    try {
      while (!hasExited() && !this.closed) {
        const reply = await reader.xreadBuffer(
          'COUNT',
          16,
          'BLOCK',
          this.readBlockMs,
          'STREAMS',
          keys.results(runId),
          cursor,
        );
        const entries = reply?.[0]?.[1] ?? [];
        if (entries.length === 0) {
          const job = await this.queue.getJob(jobIdFor(runId));
          const state = job ? await job.getState() : 'missing';
          if (state === 'failed' || state === 'missing') {
            const more = await reader.xlen(keys.results(runId));
            if (more === 0 || state === 'failed') {
              emit({
                type: 'failed',
                epoch: lastEpoch + 1,
                message: `the job for run ${runId} ${state === 'failed' ? `failed on the worker: ${job?.failedReason ?? 'no reason given'}` : 'is gone from Redis'}`,
              });
              await this.cleanUp(runId);
              exit(1, null);
              return;
            }
          }
          continue;
        }
        for (const [id, fields] of entries) {
          cursor = id.toString();
          const entry = decodeEntry(fields[1]);
          const ended = this.forward(entry, lastEpoch, emit);
          if (entry.type === 'epoch' && entry.epoch === lastEpoch + 1) {
            lastEpoch = entry.epoch;
            // Entries before a stored checkpoint with optimizer state are never read again: a resume starts there.
            if (entry.checkpoint?.optimizer) await reader.xtrim(keys.results(runId), 'MINID', cursor);
          }
          if (ended) {
            // Redis is tidied before the runner hears of the end, so a run trained again starts from a clean slate.
            await this.cleanUp(runId);
            exit(ended.code, ended.signal);
            return;
          }
        }
      }
    } finally {
      this.readers.delete(reader);
      reader.disconnect();
    }
  }

  /** Hands one entry to the runner; how the run's slot ends when the entry ends it, else null. */
  private forward(
    entry: ResultEntry,
    lastEpoch: number,
    emit: (message: RemoteMessage) => void,
  ): { code: number | null; signal: string | null } | null {
    switch (entry.type) {
      case 'ready':
        emit({ type: 'ready', backend: entry.backend });
        return null;
      case 'epoch':
        // A repeat after a redelivery or a restart of this coordinator: already stored, so already done.
        if (entry.epoch === lastEpoch + 1) emit(entry);
        return null;
      case 'failed':
        emit(entry);
        return { code: 1, signal: null };
      case 'finished':
        emit(entry);
        return { code: 0, signal: null };
      case 'stopped':
        return { code: 0, signal: null };
      case 'exit':
        return { code: entry.code, signal: entry.signal };
    }
  }

  private async cleanUp(runId: number): Promise<void> {
    try {
      const job = await this.queue.getJob(jobIdFor(runId));
      await job?.remove();
    } catch {
      // A job still locked by a worker cannot be removed; publish() replaces it when the run trains again.
    }
    await this.redis.del(keys.results(runId), keys.checkpoint(runId), keys.stop(runId));
  }
}
