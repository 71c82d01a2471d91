import type { Database } from 'better-sqlite3';
import { describe, expect, it, onTestFinished } from 'vitest';
import { parseConfig, type ExperimentConfig } from '../../src-shared/config';
import { openDatabase } from '../store/db';
import { getEpochMetrics } from '../store/metrics';
import { listCheckpoints } from '../store/checkpoints';
import { getRun, queueRuns, requeueRun, requestStop } from '../store/runs';
import { scriptedTraining, type TrainingScript } from '../testing/scripted-training';
import { QueueRunner } from './runner';
import { cpuThreadsPerRun } from './process-pool';
import { tempDatabases } from '../testing/store-fixtures';

const config = (over: Partial<ExperimentConfig> = {}): ExperimentConfig =>
  parseConfig({ latentDim: 2, epochs: 4, trainSubset: 100, testSubset: 100, ...over });

const tempDb = tempDatabases('vae-sweep-');

function runnerWith(db: Database, dbPath: string, script: (runId: number) => TrainingScript, workers = 1) {
  const training = scriptedTraining((runId) => script(runId));
  const runner = new QueueRunner({ db, dbPath, spawn: training.spawn, workers, stopPollMs: 20 });
  return { runner, starts: training.starts };
}

const epochsOf = (db: Database, runId: number): number[] =>
  getEpochMetrics(db, [runId])
    .filter((m) => m.split === 'test')
    .map((m) => m.epoch);

describe('queue runner with several slots (scripted training)', () => {
  it('trains up to `workers` runs at once, and reports every one of them as active', async () => {
    const { db, dbPath } = tempDb();
    const runs = queueRuns(db, { experimentName: 'slots', configs: [1, 2, 3, 4, 5].map((seed) => config({ seed })) });
    const { runner, starts } = runnerWith(db, dbPath, () => ({ epochMs: 30 }), 2);
    let most = 0;
    runner.onProgress(() => (most = Math.max(most, runner.activeRunIds.length)));
    const outcomes = await runner.runUntilEmpty();
    expect(outcomes.map((o) => o.status)).toEqual(['finished', 'finished', 'finished', 'finished', 'finished']);
    expect(most).toBe(2);
    // Each run is told its share of the cores for its matrix products.
    expect(starts.map((s) => s.cpuThreads)).toEqual(starts.map(() => cpuThreadsPerRun(2)));
    for (const run of runs) expect(epochsOf(db, run.id)).toEqual([1, 2, 3, 4]);
  });

  it('a new setting takes effect without a restart', async () => {
    const { db, dbPath } = tempDb();
    queueRuns(db, { experimentName: 'grow', configs: [1, 2, 3, 4].map((seed) => config({ seed })) });
    const { runner } = runnerWith(db, dbPath, () => ({ epochMs: 30 }), 1);
    let most = 0;
    runner.onProgress(() => {
      most = Math.max(most, runner.activeRunIds.length);
      if (runner.workers === 1) runner.setWorkers(3);
    });
    await runner.runUntilEmpty();
    expect(most).toBe(3);
  });
});

describe('recovery without typing', () => {
  it('puts a run whose training process died back in the queue on the next pass, from its checkpoint, each epoch once', async () => {
    const { db, dbPath } = tempDb();
    const [run] = queueRuns(db, { experimentName: 'crash', configs: [config()] });
    let attempt = 0;
    const { runner, starts } = runnerWith(db, dbPath, () => {
      attempt++;
      return attempt === 1 ? { dieAt: { epoch: 3, signal: 'SIGKILL' } } : {};
    });
    const [first] = await runner.runUntilEmpty();
    expect(first.status).toBe('interrupted');
    expect(getRun(db, run.id)?.retries).toBe(1);
    // No resume typed: the next pass over the queue continues it after epoch 2.
    const [second] = await runner.runUntilEmpty();
    expect(second).toEqual({ runId: run.id, status: 'finished' });
    expect(starts.map((s) => s.resumedAfter)).toEqual([0, 2]);
    expect(epochsOf(db, run.id)).toEqual([1, 2, 3, 4]);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
  });

  it('a run that fails the same way twice stays failed with both errors; paused and cancelled runs stay so', async () => {
    const { db, dbPath } = tempDb();
    const [crashing, paused, cancelled] = queueRuns(db, {
      experimentName: 'twice',
      configs: [config({ seed: 1 }), config({ seed: 2 }), config({ seed: 3 })],
    });
    const { runner } = runnerWith(db, dbPath, (runId) =>
      runId === crashing.id ? { dieAt: { epoch: 2, code: 134 } } : { epochMs: 40 },
    );
    runner.onRunChanged((id) => {
      const run = getRun(db, id);
      if (run?.status !== 'running' || run.epochsDone !== 1) return;
      if (id === paused.id) void runner.stopRun(id, 'paused');
      if (id === cancelled.id) void runner.stopRun(id, 'cancelled');
    });
    await runner.runUntilEmpty();
    expect(getRun(db, crashing.id)?.status).toBe('interrupted');
    await runner.runUntilEmpty();
    const failed = getRun(db, crashing.id);
    expect(failed?.status).toBe('failed');
    expect(failed?.error).toBe(
      'failed twice the same way: first training process exited with code 134; resume continues from the last checkpoint; ' +
        'then training process exited with code 134; resume continues from the last checkpoint',
    );
    await runner.runUntilEmpty();
    expect(getRun(db, crashing.id)?.status).toBe('failed');
    expect(getRun(db, paused.id)?.status).toBe('paused');
    expect(getRun(db, cancelled.id)?.status).toBe('cancelled');
    // The researcher's resume starts the retry count afresh.
    expect(requeueRun(db, crashing.id).retries).toBe(0);
  });

  it('fails a run whose process keeps dying (in different ways) after the retry limit', async () => {
    const { db, dbPath } = tempDb();
    const [run] = queueRuns(db, { experimentName: 'limit', configs: [config({ epochs: 8 })] });
    let attempt = 0;
    const training = scriptedTraining(() => ({ dieAt: { epoch: ++attempt + 1, code: 100 + attempt } }));
    const runner = new QueueRunner({ db, dbPath, spawn: training.spawn, retryLimit: 2 });
    const statuses: string[] = [];
    for (let pass = 0; pass < 4; pass++) {
      await runner.runUntilEmpty();
      statuses.push(getRun(db, run.id)?.status ?? '');
    }
    expect(statuses).toEqual(['interrupted', 'interrupted', 'failed', 'failed']);
    const failed = getRun(db, run.id);
    expect(failed?.error).toMatch(
      /died 3 times, more than the retry limit of 2: last .*code 103.*; before that .*code 102/,
    );
    expect(training.starts).toHaveLength(3);
    expect(epochsOf(db, run.id)).toEqual([1, 2, 3]);
  });

  it('a stop request in the store (the CLI cancelling from another process) stops the run within a poll', async () => {
    const { db, dbPath } = tempDb();
    const [run] = queueRuns(db, { experimentName: 'remote', configs: [config({ epochs: 50 })] });
    const { runner } = runnerWith(db, dbPath, () => ({ epochMs: 20 }));
    const other = openDatabase(dbPath);
    onTestFinished(() => void other.close());
    let asked = 0;
    runner.onRunChanged((id) => {
      if (asked === 0 && getRun(db, id)?.epochsDone === 2) {
        asked = Date.now();
        requestStop(other, id, 'cancelled');
      }
    });
    const [outcome] = await runner.runUntilEmpty();
    expect(outcome).toEqual({ runId: run.id, status: 'cancelled' });
    expect(Date.now() - asked).toBeLessThan(1000);
    expect(getRun(db, run.id)?.epochsDone).toBeLessThan(10);
    expect(() => requestStop(db, run.id, 'cancelled')).toThrow(/run \d+ is cancelled, not running/);
  });
});

describe('median stopping', () => {
  it('stops a run trailing the median of 3 finished peers as stopped-early, keeping its checkpoint; it can resume', async () => {
    const { db, dbPath } = tempDb();
    const elbo: Record<number, (epoch: number) => number> = {};
    const peers = queueRuns(db, {
      experimentName: 'median',
      configs: [1, 2, 3].map((seed) => config({ seed })),
      earlyStop: 'median',
    });
    // Peers' test ELBO at epoch e: −100 − s + 5e for seeds s = 1, 2, 3.
    peers.forEach((p, i) => (elbo[p.id] = (e) => -100 - (i + 1) + 5 * e));
    const [weak, strong] = queueRuns(db, {
      experimentName: 'median',
      configs: [config({ seed: 4 }), config({ seed: 5 })],
      earlyStop: 'median',
    });
    elbo[weak.id] = (e) => -120 + 5 * e;
    elbo[strong.id] = (e) => -90 + 5 * e;
    // Another experiment's run with the same poor curve but no rule trains to the end.
    const [unruled] = queueRuns(db, { experimentName: 'no rule', configs: [config({ seed: 4 })] });
    elbo[unruled.id] = elbo[weak.id];
    const { runner } = runnerWith(db, dbPath, (runId) => ({ testElbo: elbo[runId] }));
    await runner.runUntilEmpty();

    const stopped = getRun(db, weak.id);
    expect(stopped?.status).toBe('stopped-early');
    // Epoch 2 is the first the rule looks at: −110 against the peers' median −92.
    expect(stopped?.epochsDone).toBe(2);
    expect(stopped?.error).toMatch(
      /stopped early: test ELBO -110\.00 at epoch 2 is worse than the median -92\.00 of 3/,
    );
    expect(listCheckpoints(db, weak.id).some((c) => c.epoch === 2 && c.hasOptimizerState)).toBe(true);
    expect(getRun(db, strong.id)?.status).toBe('finished');
    expect(getRun(db, unruled.id)?.status).toBe('finished');
    for (const p of peers) expect(getRun(db, p.id)?.status).toBe('finished');

    // Resumed, it continues after epoch 2; the rule stops it again at epoch 3.
    requeueRun(db, weak.id, 'front');
    await runner.runUntilEmpty();
    expect(getRun(db, weak.id)?.status).toBe('stopped-early');
    expect(epochsOf(db, weak.id)).toEqual([1, 2, 3]);
  });
});
