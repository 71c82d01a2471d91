import { execFileSync, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import type { Database } from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { parseConfig, type ExperimentConfig } from '../../src-shared/config';
import { getEpochMetrics } from '../store/metrics';
import { listCheckpoints } from '../store/checkpoints';
import { getQueue } from '../store/queue';
import { getRun, queueRuns, requeueRun } from '../store/runs';
import { forkTraining } from './fork';
import { QueueRunner } from './runner';
import { tempDatabases } from '../testing/store-fixtures';
import type { TrainingProcess } from './types';

const small = (over: Partial<ExperimentConfig> = {}): ExperimentConfig =>
  parseConfig({
    hiddenSizes: [64],
    latentDim: 2,
    batchSize: 50,
    epochs: 3,
    trainSubset: 1000,
    testSubset: 200,
    ...over,
  });

const tempDb = tempDatabases('vae-runner-');

function trainLosses(db: Database, runId: number): number[] {
  return getEpochMetrics(db, [runId])
    .filter((m) => m.split === 'train')
    .map((m) => m.loss);
}

describe('queue runner', () => {
  it('trains queued runs in order, recording every epoch and a checkpoint', async () => {
    const { db, dbPath } = tempDb();
    const runs = queueRuns(db, {
      experimentName: 'order',
      configs: [small({ epochs: 2 }), small({ epochs: 2, beta: 4 })],
    });
    const runner = new QueueRunner({ db, dbPath, spawn: () => forkTraining() });
    const started: number[] = [];
    runner.onRunChanged((id) => {
      if (!started.includes(id)) started.push(id);
    });
    const outcomes = await runner.runUntilEmpty();
    expect(outcomes.map((o) => o.status)).toEqual(['finished', 'finished']);
    expect(started).toEqual(runs.map((r) => r.id));
    for (const run of runs) {
      const stored = getRun(db, run.id);
      expect(stored?.status).toBe('finished');
      expect(stored?.epochsDone).toBe(2);
      expect(stored?.backend).toBeTruthy();
      const rows = getEpochMetrics(db, [run.id]).map((m) => `${m.epoch}:${m.split}`);
      expect(rows.sort()).toEqual(['1:test', '1:train', '2:test', '2:train']);
      expect(listCheckpoints(db, run.id).length).toBeGreaterThan(0);
    }
  });

  it('after kill -9 of the training process mid-epoch the run is interrupted, and resume loses and doubles no epoch', async () => {
    const { db, dbPath } = tempDb();
    const config = small({ epochs: 4, trainSubset: 3000 });
    const [victim] = queueRuns(db, { experimentName: 'kill', configs: [config] });

    let child: TrainingProcess | null = null;
    const runner = new QueueRunner({
      db,
      dbPath,
      spawn: () => {
        child = forkTraining();
        return child;
      },
    });
    let killed = false;
    runner.onProgress((p) => {
      // Mid-epoch 2: epoch 1 is stored, epoch 2 is half done.
      if (!killed && p.epoch === 2 && p.batch >= p.batches / 2) {
        killed = true;
        process.kill(child?.pid ?? 0, 'SIGKILL');
      }
    });
    const [outcome] = await runner.runUntilEmpty();
    expect(killed).toBe(true);
    expect(outcome).toEqual({ runId: victim.id, status: 'interrupted' });
    const interrupted = getRun(db, victim.id);
    expect(interrupted?.status).toBe('interrupted');
    expect(interrupted?.error ?? '').toMatch(/SIGKILL/);
    expect(interrupted?.epochsDone).toBe(1);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');

    requeueRun(db, victim.id);
    // The same config, uninterrupted, as the reference.
    const [reference] = queueRuns(db, { experimentName: 'kill', configs: [config] });
    const outcomes = await runner.runUntilEmpty();
    expect(outcomes.map((o) => o.status)).toEqual(['finished', 'finished']);
    const resumed = getEpochMetrics(db, [victim.id]).filter((m) => m.split === 'train');
    expect(resumed.map((m) => m.epoch)).toEqual([1, 2, 3, 4]);
    // Same seed, config and backend: the resumed run matches the uninterrupted one epoch for epoch.
    const a = trainLosses(db, victim.id);
    const b = trainLosses(db, reference.id);
    for (let i = 0; i < 4; i++) expect(a[i]).toBeCloseTo(b[i], 4);
  });

  it('after kill -9 of the app the run is interrupted, the queue is intact, and the training process is gone', async () => {
    const { db, dbPath } = tempDb();
    const [first, second] = queueRuns(db, {
      experimentName: 'app-kill',
      configs: [small({ epochs: 5, trainSubset: 3000 }), small({ epochs: 1 })],
    });
    const cli = resolve(__dirname, '../../out/main/cli.js');
    const app = spawn(process.execPath, [cli, 'run', '--db', dbPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    app.stdout.on('data', (d: Buffer) => (output += d.toString()));
    app.stderr.on('data', (d: Buffer) => (output += d.toString()));
    // Wait until the first epoch is stored, then kill the app without warning.
    const deadline = Date.now() + 90_000;
    while ((getRun(db, first.id)?.epochsDone ?? 0) < 1) {
      if (Date.now() > deadline) throw new Error(`no epoch within 90 s; output:\n${output}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const workerPids = findChildren(app.pid ?? 0);
    app.kill('SIGKILL');
    await new Promise((r) => app.once('exit', r));
    // The training process notices its parent is gone and exits.
    await waitFor(() => workerPids.every((pid) => !alive(pid)), 15_000);

    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(getRun(db, first.id)?.status).toBe('running');
    const runner = new QueueRunner({ db, dbPath, spawn: () => forkTraining() });
    expect(runner.recover()).toEqual([first.id]);
    expect(getRun(db, first.id)?.status).toBe('interrupted');
    expect(getRun(db, second.id)?.status).toBe('queued');
    expect(getQueue(db).runIds).toEqual([second.id]);
    const doneBefore = getRun(db, first.id)?.epochsDone ?? 0;
    expect(doneBefore).toBeGreaterThanOrEqual(1);
    expect(listCheckpoints(db, first.id).some((c) => c.epoch === doneBefore && c.hasOptimizerState)).toBe(true);
  });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function findChildren(pid: number): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

async function waitFor(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}
