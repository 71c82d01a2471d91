import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src-shared/config';
import type { RunSummary } from '../../src-shared/runs';
import { entriesFromRunList, type RunListEntry } from '../../src-shared/run-list';
import { listCheckpoints, loadCheckpoint } from './checkpoints';
import { openDatabase } from './db';
import { StoreError } from './errors';
import { listExperiments } from './experiments';
import { getEpochMetrics, getLatentStats, recordEpoch } from './metrics';
import { getQueue, moveRun, setQueuePaused } from './queue';
import {
  cancelRun,
  claimNextRun,
  getRun,
  latestRunWithBackend,
  listRunColumns,
  listRuns,
  markRunFailed,
  markRunFinished,
  markRunStopped,
  queueRuns,
  recoverOrphanedRuns,
  requeueRun,
  setRunBackend,
  setRunNotes,
  setRunTags,
} from './runs';
import { epochResult, openTempStore, smallConfig, type TempStore } from '../testing/store-fixtures';

let store: TempStore;
afterEach(() => store?.close());

function queueThree(): number[] {
  const runs = queueRuns(store.db, {
    experimentName: 'beta sweep',
    configs: [smallConfig({ beta: 0 }), smallConfig({ beta: 1 }), smallConfig({ beta: 4 })],
  });
  return runs.map((r) => r.id);
}

describe('experiments', () => {
  it('creates one by queueing into it, trims its name, lists it and refuses an empty name', () => {
    store = openTempStore();
    expect(() => queueRuns(store.db, { experimentName: '   ', configs: [smallConfig()] })).toThrow(
      'experiment name "   "',
    );
    queueRuns(store.db, { experimentName: '  latent size  ', configs: [smallConfig()] });
    queueRuns(store.db, { experimentName: 'latent size', configs: [smallConfig()] });
    expect(listExperiments(store.db)).toMatchObject([{ name: 'latent size', runCount: 2 }]);
  });
});

describe('queueRuns', () => {
  it('stores every config field in columns and reads the config back unchanged', () => {
    store = openTempStore();
    const config = smallConfig({
      hiddenSizes: [512, 256],
      convChannels: [16],
      trainSubset: 1000,
      autoencoder: true,
      beta: 0.25,
      learningRate: 3e-4,
    });
    const [run] = queueRuns(store.db, { experimentName: 'e', configs: [config], names: ['mine'] });
    expect(run.config).toEqual(config);
    expect(run).toMatchObject({ name: 'mine', status: 'queued', epochsDone: 0, queuePosition: 0, tags: [], notes: '' });
    expect(run.last).toEqual({ train: null, test: null });
    const row = store.db
      .prepare('SELECT hidden_sizes, conv_channels, autoencoder, learning_rate FROM runs WHERE id = ?')
      .get(run.id);
    expect(row).toEqual({ hidden_sizes: '512,256', conv_channels: '16', autoencoder: 1, learning_rate: 3e-4 });
  });

  it('names runs after what tells them apart', () => {
    store = openTempStore();
    const runs = queueRuns(store.db, {
      experimentName: 'e',
      configs: [
        smallConfig({ beta: 4, latentDim: 2 }),
        smallConfig({ beta: 4, latentDim: 2, learningRate: 1e-4 }),
        smallConfig({ autoencoder: true }),
      ],
    });
    expect(runs.map((r) => r.name)).toEqual([
      'β=4 z=2 seed=0 lr=0.001',
      'β=4 z=2 seed=0 lr=0.0001',
      'AE z=2 seed=0 lr=0.001',
    ]);
  });

  it('queues into an existing experiment by name, in order, appended to the queue', () => {
    store = openTempStore();
    const first = queueThree();
    const more = queueRuns(store.db, { experimentName: 'beta sweep', configs: [smallConfig({ seed: 7 })] });
    expect(listExperiments(store.db)).toHaveLength(1);
    expect(getQueue(store.db).runIds).toEqual([...first, more[0].id]);
    expect(more[0].queuePosition).toBe(3);
  });

  it('queues nothing when one config is bad, naming it', () => {
    store = openTempStore();
    const bad = { ...smallConfig(), latentDim: 0 };
    expect(() => queueRuns(store.db, { experimentName: 'e', configs: [smallConfig(), bad] })).toThrow(ConfigError);
    expect(() => queueRuns(store.db, { experimentName: 'e', configs: [smallConfig(), bad] })).toThrow(
      /configs\[1\]: latentDim = 0/,
    );
    expect(() => queueRuns(store.db, { experimentName: 'e', configs: [smallConfig()], names: ['a', 'b'] })).toThrow(
      /names has 2 entries for 1 configs/,
    );
    expect(() => queueRuns(store.db, { experimentName: 'e', configs: [] })).toThrow(/configs is empty/);
    expect(listRuns(store.db)).toEqual([]);
    expect(listExperiments(store.db)).toEqual([]);
  });
});

describe('claimNextRun and the queue', () => {
  it('hands out runs in queue order, marks them running, and hands out nothing while paused', () => {
    store = openTempStore();
    const [a, b, c] = queueThree();
    const claimed = claimNextRun(store.db, 4242)!;
    expect(claimed).toMatchObject({ id: a, status: 'running', queuePosition: null });
    expect(claimed.startedAt).not.toBeNull();
    expect(store.db.prepare('SELECT owner_pid FROM runs WHERE id = ?').pluck().get(a)).toBe(4242);
    expect(getQueue(store.db)).toEqual({ paused: false, runIds: [b, c] });

    setQueuePaused(store.db, true);
    expect(claimNextRun(store.db, 4242)).toBeUndefined();
    expect(getQueue(store.db)).toEqual({ paused: true, runIds: [b, c] });
    setQueuePaused(store.db, false);
    expect(claimNextRun(store.db, 4242)?.id).toBe(b);
    expect(claimNextRun(store.db, 4242)?.id).toBe(c);
    expect(claimNextRun(store.db, 4242)).toBeUndefined();
  });

  it('never hands the same run to two connections (CLI and app on one file)', () => {
    store = openTempStore();
    queueRuns(store.db, {
      experimentName: 'e',
      configs: Array.from({ length: 10 }, (_, seed) => smallConfig({ seed })),
    });
    const other = openDatabase(store.path);
    const claimed: number[] = [];
    for (let i = 0; i < 6; i++) {
      const a = claimNextRun(store.db, 100);
      const b = claimNextRun(other, 200);
      if (a) claimed.push(a.id);
      if (b) claimed.push(b.id);
    }
    other.close();
    expect(claimed).toHaveLength(10);
    expect(new Set(claimed).size).toBe(10);
    expect(listRuns(store.db, { status: ['running'] })).toHaveLength(10);
  });

  it('moves a run within the queue and refuses bad moves', () => {
    store = openTempStore();
    const [a, b, c] = queueThree();
    expect(moveRun(store.db, c, 0).runIds).toEqual([c, a, b]);
    expect(moveRun(store.db, c, 2).runIds).toEqual([a, b, c]);
    expect(moveRun(store.db, a, 1).runIds).toEqual([b, a, c]);
    expect(getRun(store.db, c)?.queuePosition).toBe(2);
    expect(() => moveRun(store.db, a, 3)).toThrow('queue index 3 is out of range: the queue has 3 runs, so use 0–2');
    expect(() => moveRun(store.db, 999, 0)).toThrow('run 999 does not exist');
    claimNextRun(store.db, 1);
    expect(() => moveRun(store.db, b, 0)).toThrow(`run ${b} is running, not queued`);
    expect(claimNextRun(store.db, 1)?.id).toBe(a);
  });
});

describe('run lifecycle', () => {
  it('records the WebGPU adapter with the backend, and forgets it when the run restarts on another backend', () => {
    store = openTempStore();
    const [a] = queueThree();
    claimNextRun(store.db, 1);
    const adapter = {
      vendor: 'mesa',
      architecture: 'software',
      device: 'llvmpipe',
      description: 'llvmpipe: Mesa 25.0.7',
      software: true,
    };
    expect(setRunBackend(store.db, a, { backend: 'webgpu', adapter, skipped: [] }).adapter).toEqual(adapter);
    expect(getRun(store.db, a)?.adapter).toEqual(adapter);
    const hardware = { ...adapter, vendor: 'nvidia', architecture: 'ampere', software: false };
    expect(setRunBackend(store.db, a, { backend: 'webgpu', adapter: hardware, skipped: [] }).adapter).toEqual(hardware);
    expect(setRunBackend(store.db, a, { backend: 'wasm', skipped: [] }).adapter).toBeNull();
  });

  it('records the backend, finishing, failing and stopping, and refuses them on a run that is not running', () => {
    store = openTempStore();
    const [a, b, c] = queueThree();
    expect(() => markRunFinished(store.db, a)).toThrow(`run ${a} is queued, not running`);
    claimNextRun(store.db, 1);
    const withBackend = setRunBackend(store.db, a, {
      backend: 'wasm',
      skipped: [
        { backend: 'tensorflow', reason: '@tensorflow/tfjs-node-gpu is not installed' },
        { backend: 'tensorflow-cpu', reason: '@tensorflow/tfjs-node is not installed' },
      ],
    });
    expect(withBackend.backend).toBe('wasm');
    expect(withBackend.adapter).toBeNull();
    expect(withBackend.backendNote).toBe(
      'tensorflow: @tensorflow/tfjs-node-gpu is not installed; tensorflow-cpu: @tensorflow/tfjs-node is not installed',
    );
    const finished = markRunFinished(store.db, a);
    expect(finished.status).toBe('finished');
    expect(finished.finishedAt).not.toBeNull();

    claimNextRun(store.db, 1);
    expect(markRunFailed(store.db, b, 'NaN loss at epoch 3')).toMatchObject({
      status: 'failed',
      error: 'NaN loss at epoch 3',
    });
    claimNextRun(store.db, 1);
    expect(markRunStopped(store.db, c, 'paused', 'paused by the user')).toMatchObject({
      status: 'paused',
      error: 'paused by the user',
      finishedAt: null,
    });
    expect(store.db.prepare('SELECT count(*) FROM runs WHERE owner_pid IS NOT NULL').pluck().get()).toBe(0);
  });

  it('marks runs whose owner process is gone as interrupted, and leaves live ones', () => {
    store = openTempStore();
    const [a, b] = queueThree();
    claimNextRun(store.db, 111);
    claimNextRun(store.db, 222);
    const recovered = recoverOrphanedRuns(store.db, (pid) => pid === 222);
    expect(recovered).toEqual([a]);
    expect(getRun(store.db, a)).toMatchObject({ status: 'interrupted' });
    expect(getRun(store.db, a)?.error).toMatch(/pid 111/);
    expect(getRun(store.db, b)?.status).toBe('running');
    expect(recoverOrphanedRuns(store.db, () => true)).toEqual([]);
  });

  it('requeues an interrupted run at the end, keeping its epochs and resume checkpoint', () => {
    store = openTempStore();
    const [a, b] = queueThree();
    claimNextRun(store.db, 111);
    for (let epoch = 1; epoch <= 3; epoch++) recordEpoch(store.db, a, epochResult(epoch, 2));
    recoverOrphanedRuns(store.db, () => false);
    const requeued = requeueRun(store.db, a);
    expect(requeued).toMatchObject({ status: 'queued', epochsDone: 3, error: null });
    expect(getQueue(store.db).runIds).toEqual([b, expect.any(Number), a]);
    expect(getEpochMetrics(store.db, [a])).toHaveLength(6);
    expect(loadCheckpoint(store.db, a)?.epoch).toBe(3);
    // Resumed: it continues at epoch 4.
    setQueuePaused(store.db, false);
    claimNextRun(store.db, 1);
    claimNextRun(store.db, 1);
    expect(claimNextRun(store.db, 1)?.id).toBe(a);
    expect(recordEpoch(store.db, a, epochResult(4, 2)).epochsDone).toBe(4);
  });

  it('drops the epochs after the resume checkpoint when requeued, rebuilding the summary', () => {
    store = openTempStore();
    const [a] = queueThree();
    claimNextRun(store.db, 1);
    recordEpoch(store.db, a, epochResult(1, 2));
    recordEpoch(store.db, a, epochResult(2, 2, { checkpoint: true }));
    recordEpoch(store.db, a, epochResult(3, 2, { checkpoint: false }));
    recordEpoch(store.db, a, epochResult(4, 2, { checkpoint: false, testRecon: 100 }));
    expect(getRun(store.db, a)?.best.testElboEpoch).toBe(4);
    markRunStopped(store.db, a, 'paused');
    const requeued = requeueRun(store.db, a);
    expect(requeued.epochsDone).toBe(2);
    expect(requeued.durationSec).toBeCloseTo(5);
    expect(requeued.best.testElboEpoch).toBe(2);
    expect(requeued.last.test?.recon).toBe(180);
    expect(getEpochMetrics(store.db, [a]).map((m) => m.epoch)).toEqual([1, 1, 2, 2]);
    expect(getLatentStats(store.db, a)).toHaveLength(2);
  });

  it('refuses to requeue finished, running or queued runs and to cancel a running one', () => {
    store = openTempStore();
    const [a, b, c] = queueThree();
    expect(() => requeueRun(store.db, a)).toThrow(
      `run ${a} is queued: only paused, interrupted, failed, cancelled, stopped-early runs can be queued again`,
    );
    claimNextRun(store.db, 1);
    expect(() => requeueRun(store.db, a)).toThrow(/is running/);
    expect(() => cancelRun(store.db, a)).toThrow(/stopped through the queue runner/);
    markRunFinished(store.db, a);
    expect(() => requeueRun(store.db, a)).toThrow(/is finished/);
    const cancelled = cancelRun(store.db, c);
    expect(cancelled.status).toBe('cancelled');
    expect(getQueue(store.db).runIds).toEqual([b]);
    expect(requeueRun(store.db, c).queuePosition).toBe(1);
  });

  it('sets notes and tags, and filters lists', () => {
    store = openTempStore();
    const [a, b, c] = queueThree();
    expect(setRunNotes(store.db, a, 'posterior collapse after epoch 3').notes).toBe('posterior collapse after epoch 3');
    expect(setRunTags(store.db, a, ['β-VAE', ' baseline ', 'baseline']).tags).toEqual(['baseline', 'β-VAE']);
    expect(() => setRunTags(store.db, a, [''])).toThrow('tag "" is not allowed');
    claimNextRun(store.db, 1);
    expect(listRuns(store.db, { status: ['queued'] }).map((r) => r.id)).toEqual([b, c]);
    expect(listRuns(store.db, { ids: [c, a] }).map((r) => r.id)).toEqual([a, c]);
    expect(listRuns(store.db, { experimentId: getRun(store.db, a)!.experimentId })).toHaveLength(3);
    expect(() => listRuns(store.db, { status: ['done' as never] })).toThrow('status "done" is not one of');
  });

  it('lists entries that agree with the whole summaries, tags and queue places included, under every filter', () => {
    store = openTempStore();
    const [a, b, c] = queueThree();
    setRunTags(store.db, c, ['z', 'baseline']);
    setRunNotes(store.db, b, 'slow');
    claimNextRun(store.db, 1);
    setRunBackend(store.db, a, { backend: 'wasm', skipped: [{ backend: 'webgpu', reason: 'no adapter' }] });
    const first = epochResult(1, 2);
    // The series only some runs record (IWAE bound, squared error) travel in the list as in the summary.
    recordEpoch(store.db, a, { ...first, test: { ...first.test, iwae: -180.25, sqError: 41.5 } });
    markRunFailed(store.db, a, 'epoch 2: the loss is NaN');
    expect(entriesFromRunList(listRunColumns(store.db, { ids: [a] }))[0].last.test).toMatchObject({
      iwae: -180.25,
      sqError: 41.5,
    });
    const entryOf = (r: RunSummary): RunListEntry => ({
      id: r.id,
      experimentId: r.experimentId,
      experimentName: r.experimentName,
      name: r.name,
      status: r.status,
      config: r.config,
      backend: r.backend,
      adapter: r.adapter,
      backendNote: r.backendNote,
      error: r.error,
      finishedAt: r.finishedAt,
      epochsDone: r.epochsDone,
      durationSec: r.durationSec,
      queuePosition: r.queuePosition,
      notes: r.notes,
      tags: r.tags,
      activeUnits: r.activeUnits,
      last: { test: r.last.test },
      best: { testElbo: r.best.testElbo },
    });
    const filters = [
      {},
      { status: ['queued' as const] },
      { ids: [c, a] },
      { experimentId: getRun(store.db, a)!.experimentId },
    ];
    for (const filter of filters)
      expect(entriesFromRunList(listRunColumns(store.db, filter))).toEqual(listRuns(store.db, filter).map(entryOf));
    const entries = entriesFromRunList(listRunColumns(store.db));
    expect(entries.map((e) => [e.id, e.queuePosition, e.tags])).toEqual([
      [a, null, []],
      [b, 0, []],
      [c, 1, ['baseline', 'z']],
    ]);
    expect(entries[0].last.test?.elbo).toBeLessThan(0);
  });

  it('names the unknown run id in every function', () => {
    store = openTempStore();
    const calls: (() => unknown)[] = [
      () => setRunBackend(store.db, 77, { backend: 'wasm', skipped: [] }),
      () => markRunFinished(store.db, 77),
      () => markRunFailed(store.db, 77, 'x'),
      () => markRunStopped(store.db, 77, 'paused'),
      () => requeueRun(store.db, 77),
      () => cancelRun(store.db, 77),
      () => setRunNotes(store.db, 77, ''),
      () => setRunTags(store.db, 77, []),
      () => recordEpoch(store.db, 77, epochResult(1, 2)),
      () => getEpochMetrics(store.db, [77]),
      () => getLatentStats(store.db, 77),
      () => listCheckpoints(store.db, 77),
      () => loadCheckpoint(store.db, 77),
    ];
    for (const call of calls) {
      expect(call).toThrow(StoreError);
      expect(call).toThrow('run 77 does not exist');
    }
    expect(getRun(store.db, 77)).toBeUndefined();
  });
});

describe('listing many runs', () => {
  it('lists 1,000 runs × 50 epochs from the summary columns alone, fast', () => {
    store = openTempStore();
    const { db } = store;
    const built = performance.now();
    const configs = Array.from({ length: 1000 }, (_, i) => smallConfig({ seed: i, epochs: 50, latentDim: 10 }));
    db.transaction(() => {
      queueRuns(db, { experimentName: 'big sweep', configs });
      for (let i = 0; i < configs.length; i++) {
        const run = claimNextRun(db, process.pid)!;
        for (let epoch = 1; epoch <= 50; epoch++)
          recordEpoch(db, run.id, epochResult(epoch, 10, { checkpoint: false }));
        markRunFinished(db, run.id);
      }
    })();
    const buildSec = (performance.now() - built) / 1000;
    expect(db.prepare('SELECT count(*) FROM epoch_metrics').pluck().get()).toBe(100_000);

    listRuns(db); // warm the statement cache as an app would be after its first listing
    const start = performance.now();
    const runs = listRuns(db);
    const ms = performance.now() - start;
    console.log(
      `listRuns: ${runs.length} runs × 50 epochs listed in ${ms.toFixed(1)} ms (built in ${buildSec.toFixed(1)} s)`,
    );
    expect(runs).toHaveLength(1000);
    expect(runs[999]).toMatchObject({ epochsDone: 50, status: 'finished', best: { testElboEpoch: 50 } });
    expect(ms).toBeLessThan(500);
  });
});

describe('latestRunWithBackend', () => {
  it('is the run a scan of every run picks: latest start among those with a backend, the first by id on a tie', () => {
    store = openTempStore();
    expect(latestRunWithBackend(store.db)).toBeUndefined();
    const runs = queueRuns(store.db, { experimentName: 'e', configs: [smallConfig(), smallConfig(), smallConfig()] });
    const reference = (): number | undefined =>
      listRuns(store.db)
        .filter((r) => r.backend !== null)
        .reduce<RunSummary | null>((a, r) => (a === null || (r.startedAt ?? '') > (a.startedAt ?? '') ? r : a), null)
        ?.id;
    for (const run of runs) {
      claimNextRun(store.db, 1);
      if (run.id !== runs[2].id) setRunBackend(store.db, run.id, { backend: 'wasm', skipped: [] });
      expect(latestRunWithBackend(store.db)?.id).toBe(reference());
    }
    // Equal start times: the first by id, as the scan keeps it.
    store.db.prepare("UPDATE runs SET started_at = '2026-01-01T00:00:00.000Z'").run();
    expect(latestRunWithBackend(store.db)?.id).toBe(runs[0].id);
    expect(reference()).toBe(runs[0].id);
    store.db.prepare("UPDATE runs SET started_at = '2026-02-01T00:00:00.000Z' WHERE id = ?").run(runs[1].id);
    expect(latestRunWithBackend(store.db)?.backend).toBe('wasm');
    expect(latestRunWithBackend(store.db)?.id).toBe(runs[1].id);
  });
});
