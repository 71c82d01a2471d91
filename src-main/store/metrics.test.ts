import { afterEach, describe, expect, it } from 'vitest';
import type { CheckpointKeep } from '../../src-shared/config';
import { listCheckpoints, loadCheckpoint } from './checkpoints';
import { getEpochImages, getEpochMetrics, getEpochTimings, getLatentStats, recordEpoch } from './metrics';
import { claimNextRun, getRun, markRunFinished, queueRuns } from './runs';
import { epochResult, openTempStore, smallConfig, type TempStore } from '../testing/store-fixtures';

let store: TempStore;
afterEach(() => store?.close());

function startRun(overrides: Parameters<typeof smallConfig>[0] = {}): number {
  const [run] = queueRuns(store.db, { experimentName: 'e', configs: [smallConfig(overrides)] });
  claimNextRun(store.db, process.pid);
  return run.id;
}

function rowCounts(runId: number): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const table of ['epoch_metrics', 'epochs', 'latent_stats', 'epoch_images', 'checkpoints']) {
    counts[table] = store.db.prepare(`SELECT count(*) FROM ${table} WHERE run_id = ?`).pluck().get(runId) as number;
  }
  return counts;
}

describe('recordEpoch', () => {
  it('writes the epoch and updates the summary in the same transaction', () => {
    store = openTempStore();
    const id = startRun({ latentDim: 3 });
    const summary = recordEpoch(store.db, id, epochResult(1, 3));
    expect(summary.epochsDone).toBe(1);
    expect(summary.last.test).toEqual({ recon: 190, kl: 11, betaKl: 11, elbo: -201, loss: 201 });
    expect(summary.last.train?.recon).toBe(185);
    expect(summary.best).toEqual({ testElbo: -201, testElboEpoch: 1, testRecon: 190, testKl: 11 });
    expect(summary.activeUnits).toBe(2);
    expect(summary.durationSec).toBe(2.5);
    expect(rowCounts(id)).toEqual({ epoch_metrics: 2, epochs: 1, latent_stats: 3, epoch_images: 1, checkpoints: 1 });

    recordEpoch(store.db, id, epochResult(2, 3, { testRecon: 300 }));
    const after = getRun(store.db, id)!;
    expect(after.last.test?.recon).toBe(300);
    expect(after.best.testElboEpoch).toBe(1);
    expect(after.durationSec).toBe(5);
  });

  it('refuses an epoch out of order, naming both numbers, and writes nothing', () => {
    store = openTempStore();
    const id = startRun();
    recordEpoch(store.db, id, epochResult(1, 2));
    const before = rowCounts(id);
    expect(() => recordEpoch(store.db, id, epochResult(3, 2))).toThrow(
      `run ${id} has 1 epochs recorded, so the next is epoch 2; got epoch 3`,
    );
    expect(() => recordEpoch(store.db, id, epochResult(1, 2))).toThrow(/got epoch 1/);
    expect(rowCounts(id)).toEqual(before);
    expect(getRun(store.db, id)?.epochsDone).toBe(1);
  });

  it('writes nothing when a part of the epoch fails midway', () => {
    store = openTempStore();
    const id = startRun();
    const result = epochResult(1, 2);
    // Rows for metrics and timings are written before the checkpoint; a checkpoint that cannot be encoded
    // must roll them back.
    result.checkpoint!.weights[0].shape = [5, 5];
    expect(() => recordEpoch(store.db, id, result)).toThrow(/has 6 values but shape \[5,5\] needs 25/);
    expect(rowCounts(id)).toEqual({ epoch_metrics: 0, epochs: 0, latent_stats: 0, epoch_images: 0, checkpoints: 0 });
    expect(getRun(store.db, id)).toMatchObject({ epochsDone: 0, last: { train: null, test: null }, durationSec: 0 });
  });

  it('refuses malformed results, naming what is wrong', () => {
    store = openTempStore();
    const id = startRun({ latentDim: 4, epochs: 1 });
    expect(() => recordEpoch(store.db, id, epochResult(1, 3))).toThrow(
      "klPerDim has 3 values; the run's latentDim is 4",
    );
    const badImage = epochResult(1, 4);
    badImage.images.samples = [new Uint8Array(3)];
    expect(() => recordEpoch(store.db, id, badImage)).toThrow('images.samples[0] has 3 bytes; 2 × 2 images need 4');
    const wrongCheckpoint = epochResult(1, 4);
    wrongCheckpoint.checkpoint!.epoch = 7;
    expect(() => recordEpoch(store.db, id, wrongCheckpoint)).toThrow(/checkpoint is for epoch 7/);
    recordEpoch(store.db, id, epochResult(1, 4));
    expect(() => recordEpoch(store.db, id, epochResult(2, 4))).toThrow(
      `run ${id} is configured for 1 epochs; got epoch 2`,
    );
    markRunFinished(store.db, id);
    expect(() => recordEpoch(store.db, id, epochResult(2, 4))).toThrow(
      `run ${id} is finished: epochs are recorded only while it is running`,
    );
  });

  it('keeps NaN and ±Inf through the round trip and flags the epoch', () => {
    store = openTempStore();
    const id = startRun({ latentDim: 2 });
    recordEpoch(store.db, id, epochResult(1, 2));
    const diverged = epochResult(2, 2);
    diverged.train = { recon: NaN, kl: Infinity, betaKl: Infinity, elbo: -Infinity, loss: NaN };
    diverged.test = { recon: NaN, kl: NaN, betaKl: NaN, elbo: NaN, loss: NaN };
    diverged.klPerDim = [NaN, 0.5];
    diverged.muVariancePerDim = [Infinity, 0];
    recordEpoch(store.db, id, diverged);

    const metrics = getEpochMetrics(store.db, [id]);
    expect(metrics.map((m) => [m.epoch, m.split, m.nonFinite])).toEqual([
      [1, 'train', false],
      [1, 'test', false],
      [2, 'train', true],
      [2, 'test', true],
    ]);
    expect(metrics[2]).toMatchObject({
      recon: NaN,
      kl: Infinity,
      betaKl: Infinity,
      elbo: -Infinity,
      loss: NaN,
      beta: 1,
    });
    expect(metrics[3].elbo).toBeNaN();
    const stats = getLatentStats(store.db, id);
    expect(stats[1].klPerDim).toEqual([NaN, 0.5]);
    expect(stats[1].muVariancePerDim).toEqual([Infinity, 0]);

    const run = getRun(store.db, id)!;
    expect(run.last.train).toEqual({ recon: NaN, kl: Infinity, betaKl: Infinity, elbo: -Infinity, loss: NaN });
    expect(run.last.test?.elbo).toBeNaN();
    // A NaN ELBO is never the best.
    expect(run.best.testElboEpoch).toBe(1);
    expect(listCheckpoints(store.db, id).find((c) => c.epoch === 2)?.testElbo).toBeNaN();
  });

  it('returns latent stats, images and timings per epoch', () => {
    store = openTempStore();
    const id = startRun({ latentDim: 3 });
    recordEpoch(store.db, id, epochResult(1, 3));
    recordEpoch(store.db, id, epochResult(2, 3));
    expect(getLatentStats(store.db, id)).toEqual([
      { runId: id, epoch: 1, klPerDim: [0.5, 1, 1.5], muVariancePerDim: [0.9, 0.001, 0.9], activeUnits: 2 },
      { runId: id, epoch: 2, klPerDim: [0.5, 1, 1.5], muVariancePerDim: [0.9, 0.001, 0.9], activeUnits: 2 },
    ]);
    expect(getEpochImages(store.db, id, 2)).toEqual({
      width: 2,
      height: 2,
      inputs: [Uint8Array.from([0, 1, 2, 3]), Uint8Array.from([4, 5, 6, 2])],
      reconstructions: [Uint8Array.from([9, 9, 9, 9])],
      samples: [],
    });
    expect(getEpochImages(store.db, id, 3)).toBeUndefined();
    expect(getEpochTimings(store.db, id)).toEqual([
      { runId: id, epoch: 1, wallTimeSec: 2.5, examplesPerSec: 24_000, numTensors: 42, worker: null, host: null },
      { runId: id, epoch: 2, wallTimeSec: 2.5, examplesPerSec: 24_000, numTensors: 42, worker: null, host: null },
    ]);
  });

  it('orders metrics of several runs by run, epoch, then train before test', () => {
    store = openTempStore();
    const runs = queueRuns(store.db, { experimentName: 'e', configs: [smallConfig(), smallConfig({ seed: 1 })] });
    claimNextRun(store.db, 1);
    claimNextRun(store.db, 1);
    recordEpoch(store.db, runs[1].id, epochResult(1, 2));
    recordEpoch(store.db, runs[0].id, epochResult(1, 2));
    recordEpoch(store.db, runs[0].id, epochResult(2, 2, { beta: 0.5 }));
    const metrics = getEpochMetrics(store.db, [runs[1].id, runs[0].id]);
    expect(metrics.map((m) => `${m.runId}:${m.epoch}:${m.split}`)).toEqual([
      `${runs[0].id}:1:train`,
      `${runs[0].id}:1:test`,
      `${runs[0].id}:2:train`,
      `${runs[0].id}:2:test`,
      `${runs[1].id}:1:train`,
      `${runs[1].id}:1:test`,
    ]);
    expect(metrics[2]).toMatchObject({ beta: 0.5, betaKl: 6 });
    expect(getEpochMetrics(store.db, [])).toEqual([]);
  });
});

describe('checkpoint retention', () => {
  // Test ELBO per epoch: best at epoch 2, newest is 4.
  const testRecon = [0, 150, 100, 160, 170];

  function trainWith(policy: CheckpointKeep, options: { finish?: boolean; weightsOnlyLast?: boolean } = {}): number {
    const id = startRun({ checkpointKeep: policy, epochs: 4 });
    for (let epoch = 1; epoch <= 4; epoch++) {
      const checkpoint = options.weightsOnlyLast && epoch === 4 ? 'weights-only' : true;
      recordEpoch(store.db, id, epochResult(epoch, 2, { testRecon: testRecon[epoch], checkpoint }));
    }
    if (options.finish) markRunFinished(store.db, id);
    return id;
  }

  const kept = (id: number): string[] =>
    listCheckpoints(store.db, id).map((c) => `${c.epoch}${c.hasOptimizerState ? '+opt' : ''}`);

  it.each<[CheckpointKeep, string[], string[]]>([
    ['all', ['1', '2', '3', '4+opt'], ['1', '2', '3', '4+opt']],
    ['last', ['4+opt'], ['4+opt']],
    ['best', ['2', '4+opt'], ['2']],
    ['last-and-best', ['2', '4+opt'], ['2', '4+opt']],
  ])('%s keeps %j while training and %j once finished', (policy, training, finished) => {
    store = openTempStore();
    const running = trainWith(policy);
    expect(kept(running)).toEqual(training);
    const done = trainWith(policy, { finish: true });
    expect(kept(done)).toEqual(finished);
  });

  it('keeps optimizer state on the newest checkpoint that has it, so the run can resume', () => {
    store = openTempStore();
    const id = trainWith('last', { weightsOnlyLast: true });
    expect(kept(id)).toEqual(['3+opt', '4']);
    expect(loadCheckpoint(store.db, id)?.epoch).toBe(3);
    expect(loadCheckpoint(store.db, id, 4)?.optimizer).toBeNull();
  });

  it('uses the newest checkpoint as best when no test ELBO is finite', () => {
    store = openTempStore();
    const id = startRun({ checkpointKeep: 'best', epochs: 3 });
    for (let epoch = 1; epoch <= 3; epoch++) recordEpoch(store.db, id, epochResult(epoch, 2, { testRecon: NaN }));
    markRunFinished(store.db, id);
    expect(kept(id)).toEqual(['3+opt']);
    expect(getRun(store.db, id)?.best).toEqual({ testElbo: null, testElboEpoch: null, testRecon: null, testKl: null });
  });
});
