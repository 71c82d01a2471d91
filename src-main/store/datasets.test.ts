import { afterEach, describe, expect, it } from 'vitest';
import type { ImageDataset } from '../records';
import { listImportedDatasets, loadImportedDataset, saveImportedDataset } from './datasets';
import { openDatabase } from './db';
import { recordEpoch } from './metrics';
import { listNllEstimates, listNllEstimatesOfRuns, saveNllEstimate } from './nll';
import { claimNextRun, queueRuns } from './runs';
import { epochResult, openTempStore, smallConfig, type TempStore } from '../testing/store-fixtures';

let store: TempStore;
afterEach(() => store?.close());

function tinyDataset(trainCount = 3, testCount = 2): ImageDataset {
  const split = (count: number, offset: number) => ({
    images: Uint8Array.from({ length: count * 6 }, (_, i) => (i + offset) % 256),
    labels: Uint8Array.from({ length: count }, (_, i) => i % 10),
    count,
    height: 2,
    width: 3,
  });
  return { name: 'glyphs', train: split(trainCount, 0), test: split(testCount, 100) };
}

describe('imported datasets', () => {
  it('saves, lists without images, and loads byte for byte', () => {
    store = openTempStore();
    const dataset = tinyDataset();
    const info = saveImportedDataset(store.db, {
      id: 'glyphs',
      title: 'Glyphs',
      dataset,
      sourceFiles: ['/data/train.idx', '/data/test.idx'],
    });
    expect(info).toEqual({
      id: 'glyphs',
      title: 'Glyphs',
      kind: 'imported',
      trainCount: 3,
      testCount: 2,
      height: 2,
      width: 3,
      available: true,
      note: null,
    });
    expect(listImportedDatasets(store.db)).toEqual([info]);
    const loaded = loadImportedDataset(store.db, 'glyphs')!;
    expect(loaded).toEqual({ ...dataset, name: 'glyphs' });
    expect(loadImportedDataset(store.db, 'missing')).toBeUndefined();
  });

  it('is readable from a read-only connection while the writer holds the file (the training process)', () => {
    store = openTempStore();
    saveImportedDataset(store.db, { id: 'glyphs', title: 'Glyphs', dataset: tinyDataset(), sourceFiles: [] });
    const reader = openDatabase(store.path, { readonly: true });
    expect(loadImportedDataset(reader, 'glyphs')?.train.count).toBe(3);
    reader.close();
  });

  it('refuses an existing id, a bad id and inconsistent splits, writing nothing', () => {
    store = openTempStore();
    saveImportedDataset(store.db, { id: 'glyphs', title: 'Glyphs', dataset: tinyDataset(), sourceFiles: [] });
    expect(() =>
      saveImportedDataset(store.db, { id: 'glyphs', title: 'Again', dataset: tinyDataset(), sourceFiles: [] }),
    ).toThrow('a dataset with id "glyphs" is already imported');
    expect(() =>
      saveImportedDataset(store.db, { id: 'Bad Id', title: 'x', dataset: tinyDataset(), sourceFiles: [] }),
    ).toThrow('dataset id "Bad Id" is not allowed');
    const short = tinyDataset();
    short.train.labels = new Uint8Array(2);
    expect(() => saveImportedDataset(store.db, { id: 'short', title: 'x', dataset: short, sourceFiles: [] })).toThrow(
      'dataset short train split: 2 labels for 3 images',
    );
    const mixed = tinyDataset();
    mixed.test = { ...mixed.test, height: 3, width: 2 };
    expect(() => saveImportedDataset(store.db, { id: 'mixed', title: 'x', dataset: mixed, sourceFiles: [] })).toThrow(
      /train images are 3×2 but test images are 2×3/,
    );
    expect(listImportedDatasets(store.db).map((d) => d.id)).toEqual(['glyphs']);
  });
});

describe('NLL estimates', () => {
  it('saves, replaces and lists estimates, keeping NaN', () => {
    store = openTempStore();
    const [run] = queueRuns(store.db, { experimentName: 'e', configs: [smallConfig()] });
    claimNextRun(store.db, 1);
    recordEpoch(store.db, run.id, epochResult(1, 2));
    recordEpoch(store.db, run.id, epochResult(2, 2));
    saveNllEstimate(store.db, { runId: run.id, epoch: 2, split: 'test', k: 5000, count: 1000, nll: 86.8 });
    saveNllEstimate(store.db, { runId: run.id, epoch: 2, split: 'test', k: 5000, count: 10000, nll: 87.1 });
    saveNllEstimate(store.db, { runId: run.id, epoch: 1, split: 'train', k: 1, count: 100, nll: NaN });
    const estimates = listNllEstimates(store.db, run.id);
    expect(estimates.map(({ createdAt: _, ...e }) => e)).toEqual([
      { runId: run.id, epoch: 1, split: 'train', k: 1, count: 100, nll: NaN },
      { runId: run.id, epoch: 2, split: 'test', k: 5000, count: 10000, nll: 87.1 },
    ]);
    expect(() => saveNllEstimate(store.db, { runId: run.id, epoch: 3, split: 'test', k: 1, count: 1, nll: 1 })).toThrow(
      `run ${run.id} has epochs 1–2; no NLL estimate for epoch 3`,
    );
    expect(() => saveNllEstimate(store.db, { runId: run.id, epoch: 1, split: 'test', k: 0, count: 1, nll: 1 })).toThrow(
      /k = 0/,
    );
    expect(() => listNllEstimates(store.db, 99)).toThrow('run 99 does not exist');
  });

  it("lists many runs' estimates in one query, in the order asked, as each run lists them", () => {
    store = openTempStore();
    const runs = queueRuns(store.db, { experimentName: 'e', configs: [smallConfig(), smallConfig(), smallConfig()] });
    for (const run of runs) {
      claimNextRun(store.db, 1);
      recordEpoch(store.db, run.id, epochResult(1, 2));
      recordEpoch(store.db, run.id, epochResult(2, 2));
    }
    const [a, b, c] = runs.map((r) => r.id);
    saveNllEstimate(store.db, { runId: a, epoch: 2, split: 'test', k: 50, count: 100, nll: 90 });
    saveNllEstimate(store.db, { runId: a, epoch: 1, split: 'train', k: 5, count: 100, nll: NaN });
    saveNllEstimate(store.db, { runId: c, epoch: 2, split: 'test', k: 5, count: 100, nll: 88 });
    // The reference: one run at a time, skipping ids that are no run (99).
    const oneByOne = [c, 99, a, b].flatMap((id) => (id === 99 ? [] : listNllEstimates(store.db, id)));
    const together = listNllEstimatesOfRuns(store.db, [c, 99, a, b]);
    expect(together).toEqual(oneByOne);
    expect(together.map((e) => [e.runId, e.epoch])).toEqual([
      [c, 2],
      [a, 1],
      [a, 2],
    ]);
    expect(listNllEstimatesOfRuns(store.db, [])).toEqual([]);
  });
});
