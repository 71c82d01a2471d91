import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Database } from 'better-sqlite3';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig, type ExperimentConfig } from '../../src-shared/config';
import { openDatabase } from '../store/db';
import { getEpochMetrics, getEpochTimings } from '../store/metrics';
import { getRun, queueRuns, requestStop } from '../store/runs';
import { getQueue, moveRun } from '../store/queue';
import { QueueRunner } from '../queue/runner';
import { scriptedTraining, type TrainingScript } from '../testing/scripted-training';
import { TestRedis } from '../testing/redis-server';
import { RedisCoordinator } from './coordinator';
import { keys, QUEUE_NAME } from './protocol';
import { parseRedisUrl } from './redis-url';
import { RemoteWorker } from './worker';
import type { DatasetSource } from '../records';
import type { TrainingProcess } from '../queue/types';
import { listImportedDatasets, loadImportedDataset, saveImportedDataset } from '../store/datasets';
import { rectanglesDataset } from '../testing/rectangles-dataset';

const config = (over: Partial<ExperimentConfig> = {}): ExperimentConfig =>
  parseConfig({ latentDim: 2, epochs: 4, trainSubset: 100, testSubset: 100, ...over });

let redis: TestRedis;
const cleanups: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  redis = await TestRedis.start();
});
afterAll(async () => {
  await redis.stop();
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  const client = new Redis(redis.url);
  await client.flushall();
  client.disconnect();
});

function tempDb(): { db: Database; dbPath: string } {
  const dbPath = join(mkdtempSync(join(tmpdir(), 'vae-remote-')), 'runs.db');
  const db = openDatabase(dbPath);
  cleanups.push(() => void (db.open && db.close()));
  return { db, dbPath };
}

function coordinator(db: Database, dbPath: string, workers: number | (() => number) = 8) {
  const remote = new RedisCoordinator({ target: parseRedisUrl(redis.url), readBlockMs: 200, log: () => undefined });
  const runner = new QueueRunner({ db, dbPath, spawn: remote.spawn, workers, stopPollMs: 50, stopGraceMs: 5000 });
  cleanups.push(() => remote.close());
  return { remote, runner };
}

function worker(
  script: (runId: number) => TrainingScript,
  options: { concurrency?: number; id?: string; cacheDir?: string } = {},
) {
  const training = scriptedTraining((runId) => script(runId));
  // What each training process was told to read: the scripted one reads nothing.
  const datasets: DatasetSource[] = [];
  const spawn = (): TrainingProcess => {
    const child = training.spawn();
    return {
      ...child,
      pid: child.pid,
      send: (message) => {
        if (message.type === 'start') datasets.push(message.dataset);
        child.send(message);
      },
    };
  };
  const remote = new RemoteWorker({
    target: parseRedisUrl(redis.url),
    spawn,
    cacheDir: options.cacheDir ?? mkdtempSync(join(tmpdir(), 'vae-worker-cache-')),
    concurrency: options.concurrency ?? 2,
    lockDurationMs: 1000,
    stalledIntervalMs: 500,
    stopPollMs: 50,
    heartbeatMs: 500,
    id: options.id,
    log: () => undefined,
  });
  cleanups.push(() => remote.close().catch(() => undefined));
  return { remote, starts: training.starts, datasets };
}

const epochsOf = (db: Database, runId: number): number[] =>
  getEpochMetrics(db, [runId])
    .filter((m) => m.split === 'test')
    .map((m) => m.epoch);

function expectEachEpochOnce(db: Database, runIds: number[], epochs: number): void {
  for (const id of runIds) {
    expect(epochsOf(db, id), `run ${id}`).toEqual(Array.from({ length: epochs }, (_, i) => i + 1));
    expect(getRun(db, id)?.status, `run ${id}`).toBe('finished');
  }
  expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
}

describe('training over Redis (a real redis-server on loopback)', () => {
  it('two workers train six runs, each epoch of each run exactly once', async () => {
    const { db, dbPath } = tempDb();
    const runs = queueRuns(db, { experimentName: 'six', configs: [1, 2, 3, 4, 5, 6].map((seed) => config({ seed })) });
    const a = worker(() => ({ epochMs: 20 }), { id: 'worker-a' });
    const b = worker(() => ({ epochMs: 20 }), { id: 'worker-b' });
    const { runner, remote } = coordinator(db, dbPath);
    const progress = new Set<number>();
    runner.onProgress((p) => progress.add(p.runId));
    const outcomes = await runner.runUntilEmpty();
    expect(outcomes.map((o) => o.status)).toEqual(Array(6).fill('finished'));
    expectEachEpochOnce(
      db,
      runs.map((r) => r.id),
      4,
    );
    // Both workers took part, and each run started once.
    expect(a.starts.length).toBeGreaterThan(0);
    expect(b.starts.length).toBeGreaterThan(0);
    expect(a.starts.length + b.starts.length).toBe(6);
    // Live progress reached the coordinator for the runs.
    expect(progress.size).toBeGreaterThan(0);
    // The Queue view's list of workers: both, on this host, idle now, with the backend of their last run.
    const listed = await remote.listWorkers();
    expect(listed.map((w) => [w.id, w.host, w.backend, w.currentRunIds])).toEqual([
      ['worker-a', a.remote.host, 'scripted', []],
      ['worker-b', b.remote.host, 'scripted', []],
    ]);
    expect(Date.now() - Date.parse(listed[0].lastHeartbeat)).toBeLessThan(5000);
    // Nothing of the runs is left in Redis but the workers' heartbeats.
    const client = new Redis(redis.url);
    cleanups.push(() => client.disconnect());
    expect(await client.keys('vae-workbench:run:*')).toEqual([]);
  });

  it('reordering queued runs changes the order the workers take them: only what the workers can train is published', async () => {
    const { db, dbPath } = tempDb();
    const runs = queueRuns(db, { experimentName: 'reorder', configs: [1, 2, 3, 4].map((seed) => config({ seed })) });
    const one = worker(() => ({ epochMs: 100 }), { id: 'only-worker', concurrency: 1 });
    const remote = new RedisCoordinator({
      target: parseRedisUrl(redis.url),
      readBlockMs: 200,
      workerScanMs: 100,
      log: () => undefined,
    });
    cleanups.push(() => remote.close());
    // The worker's heartbeat is in: the coordinator counts one slot.
    await new Promise((r) => setTimeout(r, 400));
    expect(remote.workerSlots()).toBe(1);
    const runner = new QueueRunner({ db, dbPath, spawn: remote.spawn, workers: remote.workerSlots, stopPollMs: 50 });
    const done = runner.runUntilEmpty();
    // One run is published and training; the other three wait in the store's queue, where a reorder reaches them.
    await new Promise((r) => setTimeout(r, 150));
    expect(getQueue(db).runIds).toEqual([runs[1].id, runs[2].id, runs[3].id]);
    const jobs = new Queue(QUEUE_NAME, { connection: new Redis(redis.url, { maxRetriesPerRequest: null }) });
    cleanups.push(() => jobs.close());
    expect(await jobs.getJobCounts('waiting', 'active', 'prioritized')).toMatchObject({ waiting: 0, prioritized: 0 });
    moveRun(db, runs[3].id, 0);
    moveRun(db, runs[2].id, 1);
    const outcomes = await done;
    expect(outcomes.map((o) => o.status)).toEqual(Array(4).fill('finished'));
    expect(one.starts.map((s) => s.runId)).toEqual([runs[0].id, runs[3].id, runs[2].id, runs[1].id]);
    expectEachEpochOnce(
      db,
      runs.map((r) => r.id),
      4,
    );
  });

  it('a worker killed mid-run: its lock lapses and another worker resumes the run from its last checkpoint', async () => {
    const { db, dbPath } = tempDb();
    const [run] = queueRuns(db, { experimentName: 'dies', configs: [config({ epochs: 8 })] });
    const first = worker(() => ({ epochMs: 60 }), { id: 'first' });
    const { runner } = coordinator(db, dbPath);
    const done = runner.runUntilEmpty();
    // Kill the first worker once it has sent three epochs.
    await waitFor(() => epochsOf(db, run.id).length >= 3);
    await first.remote.crash();
    const killedAfter = epochsOf(db, run.id).length;
    const second = worker(() => ({ epochMs: 20 }), { id: 'second' });
    const outcomes = await done;
    expect(outcomes.map((o) => o.status)).toEqual(['finished']);
    expect(second.starts).toHaveLength(1);
    expect(second.starts[0].resumedAfter).toBeGreaterThanOrEqual(killedAfter);
    expectEachEpochOnce(db, [run.id], 8);
    // Each epoch records the worker that trained it: the first one's, then the second's.
    const trainedBy = getEpochTimings(db, run.id).map((t) => t.worker);
    expect(trainedBy.slice(0, killedAfter)).toEqual(Array(killedAfter).fill('first'));
    expect(trainedBy.at(-1)).toBe('second');
    expect(getEpochTimings(db, run.id)[0].host).toBe(first.remote.host);
  });

  it('the coordinator killed: workers keep training, results wait in Redis, a new coordinator catches up', async () => {
    const { db, dbPath } = tempDb();
    const runs = queueRuns(db, {
      experimentName: 'catch up',
      configs: [1, 2].map((seed) => config({ seed, epochs: 6 })),
    });
    const w = worker(() => ({ epochMs: 40 }));
    // The coordinator to kill has a connection of its own, left open as a killed process leaves its file. Once
    // "killed" its slots never report again and it may claim nothing more: it is as good as gone.
    let killed = false;
    const first = coordinator(openDatabase(dbPath), dbPath, () => (killed ? 1 : 8));
    void first.runner.runUntilEmpty();
    await waitFor(() => epochsOf(db, runs[0].id).length >= 1);
    // As a kill -9 would: the coordinator stops reading and writing at once.
    killed = true;
    await first.remote.close();
    const storedAtKill = runs.map((r) => epochsOf(db, r.id).length);
    // The workers finish both runs while nobody drains their results.
    await waitFor(() => w.remote.completed >= 2, 10_000);
    expect(runs.map((r) => epochsOf(db, r.id).length)).toEqual(storedAtKill);
    const second = coordinator(db, dbPath);
    const outcomes = await second.runner.runUntilEmpty();
    expect(outcomes.map((o) => o.status).sort()).toEqual(['finished', 'finished']);
    expectEachEpochOnce(
      db,
      runs.map((r) => r.id),
      6,
    );
    // The worker trained each run once: the new coordinator re-attached to the jobs rather than publishing again.
    expect(w.starts).toHaveLength(2);
  });

  it('Redis restarted (AOF on): nothing is lost', async () => {
    const { db, dbPath } = tempDb();
    const runs = queueRuns(db, {
      experimentName: 'restart',
      configs: [1, 2, 3].map((seed) => config({ seed, epochs: 6 })),
    });
    worker(() => ({ epochMs: 40 }));
    const { runner } = coordinator(db, dbPath);
    const done = runner.runUntilEmpty();
    await waitFor(() => epochsOf(db, runs[0].id).length >= 2);
    await redis.restart();
    const outcomes = await done;
    expect(outcomes.map((o) => o.status)).toEqual(['finished', 'finished', 'finished']);
    expectEachEpochOnce(
      db,
      runs.map((r) => r.id),
      6,
    );
  });

  it('a malformed or foreign job fails with a clear error, and the worker lives on', async () => {
    const { db, dbPath } = tempDb();
    const w = worker(() => ({ epochMs: 10 }));
    const queue = new Queue(QUEUE_NAME, { connection: parseRedisUrl(redis.url).options });
    cleanups.push(() => queue.close());
    const foreign = await queue.add('email', { to: 'someone@example.org' });
    const malformed = await queue.add('train', {
      kind: 'vae-workbench-training',
      runId: 1,
      config: { ...config(), latentDim: -3 },
      dataset: { kind: 'builtin', id: 'mnist' },
      resumeEpoch: 0,
      backend: null,
    });
    await waitFor(async () => (await queue.getJobCounts('failed')).failed === 2);
    expect((await queue.getJob(foreign.id!))?.failedReason).toMatch(/is not a VAE Workbench training job: .*kind/);
    expect((await queue.getJob(malformed.id!))?.failedReason).toMatch(/latentDim/);
    // The same worker then trains a real run.
    const [run] = queueRuns(db, { experimentName: 'after', configs: [config()] });
    const { runner } = coordinator(db, dbPath);
    await runner.runUntilEmpty();
    expectEachEpochOnce(db, [run.id], 4);
    expect(w.remote.failed).toBe(2);
  });

  it('an imported dataset reaches a worker through Redis once, by content, and is cached by its hash', async () => {
    const { db, dbPath } = tempDb();
    const rectangles = rectanglesDataset({ train: 64, test: 16 });
    saveImportedDataset(db, { id: 'rectangles', title: 'Rectangles', dataset: rectangles, sourceFiles: [] });
    const runs = queueRuns(db, {
      experimentName: 'imported',
      configs: [1, 2, 3].map((seed) => config({ seed, dataset: 'rectangles' })),
    });
    const cacheDir = mkdtempSync(join(tmpdir(), 'vae-worker-cache-'));
    const w = worker(() => ({ epochMs: 10 }), { cacheDir, concurrency: 1 });
    const { runner } = coordinator(db, dbPath);
    await runner.runUntilEmpty();
    expectEachEpochOnce(
      db,
      runs.map((r) => r.id),
      4,
    );
    const cachePath = join(cacheDir, 'datasets.db');
    expect(w.datasets.map((d) => (d.kind === 'stored' ? [d.name, d.dbPath] : d.kind))).toEqual(
      Array(3).fill(['rectangles', cachePath]),
    );
    const cache = openDatabase(cachePath);
    cleanups.push(() => void cache.close());
    const cached = listImportedDatasets(cache);
    expect(cached).toHaveLength(1);
    const copy = loadImportedDataset(cache, cached[0].id);
    expect(copy?.train.images).toEqual(rectangles.train.images);
    expect(copy?.test.labels).toEqual(rectangles.test.labels);
  });

  it('cancel from another process reaches the worker and stops the run', async () => {
    const { db, dbPath } = tempDb();
    const [run] = queueRuns(db, { experimentName: 'cancel', configs: [config({ epochs: 50 })] });
    worker(() => ({ epochMs: 40 }));
    const { runner } = coordinator(db, dbPath);
    const done = runner.runUntilEmpty();
    await waitFor(() => epochsOf(db, run.id).length >= 2);
    requestStop(db, run.id, 'cancelled');
    const outcomes = await done;
    expect(outcomes.map((o) => o.status)).toEqual(['cancelled']);
    expect(epochsOf(db, run.id).length).toBeLessThan(50);
    const client = new Redis(redis.url);
    cleanups.push(() => client.disconnect());
    expect(await client.exists(keys.results(run.id), keys.checkpoint(run.id), keys.stop(run.id))).toBe(0);
  });
});

async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 8000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`waited ${timeoutMs} ms for ${condition.toString()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
