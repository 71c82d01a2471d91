import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../store/db';
import { getEpochMetrics, getEpochTimings } from '../store/metrics';
import { listRuns } from '../store/runs';
import { TestRedis } from '../testing/redis-server';
import { keys } from './protocol';
import { PROFILE_DIR_ENV, type RunProfile } from '../training/run-profile';
import { readdirSync, readFileSync } from 'node:fs';

/**
 * Faults with real processes: the built CLI's `worker` and `run --redis` as separate OS processes, killed with SIGKILL
 * as a crash, an OOM killer or a pulled plug would; real training (small MNIST subsets) and a real redis-server.
 */
const cli = resolve(__dirname, '../../out/main/cli.js');
/** Short job locks, so a killed worker's run is taken over within seconds. */
const LOCK_MS = '1500';

let redis: TestRedis;
let client: Redis;
const processes: ChildProcess[] = [];

beforeAll(async () => {
  redis = await TestRedis.start();
  client = new Redis(redis.url);
});
afterAll(async () => {
  client.disconnect();
  await redis.stop();
});
afterEach(async () => {
  for (const p of processes.splice(0)) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  await client.flushall();
});

interface Started {
  process: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function start(args: string[], env: Record<string, string> = {}): Started {
  const child = spawn(process.execPath, [cli, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, VAE_WORKBENCH_LOCK_MS: LOCK_MS, ...env },
  });
  processes.push(child);
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { process: child, output: () => output, exited };
}

const worker = (env: Record<string, string> = {}): Started =>
  start(['worker', '--redis', redis.url, '--backend', 'wasm'], env);

/** The runs each training process trained, from the profiles they leave in `dir`. */
function runsByProcess(dir: string): Map<number, number[]> {
  const byPid = new Map<number, number[]>();
  for (const name of readdirSync(dir)) {
    const profile = JSON.parse(readFileSync(join(dir, name), 'utf8')) as RunProfile;
    byPid.set(profile.pid, [...(byPid.get(profile.pid) ?? []), profile.runId]);
  }
  return byPid;
}

async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number, what: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A sweep of `runs` small MNIST runs in a new database; the test reads it while the CLI writes it. */
function queued(runs: number, epochs: number): { db: Database; dbPath: string } {
  const dbPath = join(mkdtempSync(join(tmpdir(), 'vae-remote-faults-')), 'experiments.db');
  const seeds = String(runs);
  const result = spawnSync(
    process.execPath,
    [cli, 'queue', '--db', dbPath, '--dataset', 'mnist', '--seeds', seeds, '--latent', '2', '--hidden', '64'].concat([
      '--epochs',
      String(epochs),
      '--train-subset',
      '2000',
      '--test-subset',
      '200',
    ]),
    { encoding: 'utf8', timeout: 60_000 },
  );
  expect(result.status, result.stderr).toBe(0);
  return { db: openDatabase(dbPath), dbPath };
}

const epochsOf = (db: Database, runId: number): number[] =>
  getEpochMetrics(db, [runId])
    .filter((m) => m.split === 'test')
    .map((m) => m.epoch);

const storedEpochs = (db: Database): number => listRuns(db).reduce((sum, r) => sum + r.epochsDone, 0);

function expectEachEpochOnce(db: Database, epochs: number): void {
  for (const run of listRuns(db)) {
    expect(run.status, `run ${run.id}`).toBe('finished');
    expect(epochsOf(db, run.id), `run ${run.id}`).toEqual(Array.from({ length: epochs }, (_, i) => i + 1));
  }
  expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
}

/** The worker (by its pid, from the heartbeats) training each run now. */
async function trainingPids(): Promise<Map<number, number>> {
  const found = new Map<number, number>();
  for (const name of await client.keys(keys.workerPattern)) {
    const beat = await client.hgetall(name);
    const pid = Number(name.slice(keys.worker('').length).split(':')[1]);
    for (const runId of (beat.currentRuns ?? '').split(',').filter(Boolean)) found.set(Number(runId), pid);
  }
  return found;
}

describe('faults with real OS processes (built CLI, real redis-server, SIGKILL)', () => {
  it('a worker killed mid-run: its lock lapses and the other worker resumes the run from its last checkpoint', async () => {
    const epochs = 8;
    const { db, dbPath } = queued(2, epochs);
    const profiles = mkdtempSync(join(tmpdir(), 'vae-remote-profiles-'));
    const workers = [worker({ [PROFILE_DIR_ENV]: profiles }), worker({ [PROFILE_DIR_ENV]: profiles })];
    const coordinator = start(['run', '--db', dbPath, '--redis', redis.url]);
    const output = () => [coordinator, ...workers].map((p) => p.output()).join('\n');
    // Both runs train, one on each worker, and one of them has stored an epoch.
    let victim = { runId: 0, pid: 0 };
    await waitFor(
      async () => {
        const pids = await trainingPids();
        const run = listRuns(db).find((r) => r.epochsDone >= 1 && r.epochsDone <= epochs - 4 && pids.has(r.id));
        if (run) victim = { runId: run.id, pid: pids.get(run.id)! };
        return run !== undefined;
      },
      120_000,
      () => `a stored epoch of a run in training; output:\n${output()}`,
    );
    const killed = workers.find((w) => w.process.pid === victim.pid);
    expect(killed, `worker pid ${victim.pid}`).toBeDefined();
    killed!.process.kill('SIGKILL');
    expect(await coordinator.exited, output()).toBe(0);

    expectEachEpochOnce(db, epochs);
    // The killed worker trained the run's first epochs; the survivor resumed after the last checkpoint, repeating none.
    const trainedBy = getEpochTimings(db, victim.runId).map((t) => t.worker);
    const first = trainedBy[0];
    const takeover = trainedBy.findIndex((w) => w !== first);
    expect(first).toMatch(new RegExp(`:${victim.pid}:`));
    expect(takeover, trainedBy.join(', ')).toBeGreaterThan(0);
    expect(trainedBy.slice(takeover).every((w) => w === trainedBy[takeover])).toBe(true);
    // The survivor's training process trained its own run, then the taken-over one: kept across jobs.
    expect([...runsByProcess(profiles).values()].some((runIds) => runIds.length === 2)).toBe(true);
    db.close();
  }, 240_000);

  it('the coordinator killed mid-sweep: workers keep training, results wait in Redis, a restarted one catches up', async () => {
    const epochs = 10;
    const { db, dbPath } = queued(2, epochs);
    const workers = [worker(), worker()];
    await waitFor(
      async () => (await client.keys(keys.workerPattern)).length === 2,
      60_000,
      () => 'both workers',
    );
    const first = start(['run', '--db', dbPath, '--redis', redis.url]);
    const output = () => [first, ...workers].map((p) => p.output()).join('\n');
    // Both runs are published (one per worker) and one has stored an epoch.
    await waitFor(
      async () => (await trainingPids()).size === 2 && storedEpochs(db) >= 1,
      120_000,
      () => `both runs training and a stored epoch; output:\n${output()}`,
    );
    first.process.kill('SIGKILL');
    await first.exited;
    const storedAtKill = storedEpochs(db);
    expect(storedAtKill).toBeLessThan(2 * epochs);
    // With nobody to write them, the workers finish both runs: every epoch waits in the runs' results streams.
    await waitFor(
      async () => {
        const beats = await Promise.all(
          (await client.keys(keys.workerPattern)).map((k) => client.hget(k, 'currentRuns')),
        );
        const ends = await Promise.all(listRuns(db).map((r) => client.xlen(keys.results(r.id))));
        return beats.every((b) => !b) && ends.every((n) => n > 0);
      },
      120_000,
      () => `the workers to finish without a coordinator; output:\n${output()}`,
    );
    expect(storedEpochs(db)).toBe(storedAtKill);
    expect(listRuns(db).map((r) => r.status)).toEqual(['running', 'running']);

    const second = start(['run', '--db', dbPath, '--redis', redis.url]);
    expect(await second.exited, second.output()).toBe(0);
    expectEachEpochOnce(db, epochs);
    // Nothing of the runs is left in Redis.
    expect(await client.keys('vae-workbench:run:*')).toEqual([]);
    db.close();
  }, 240_000);
});
