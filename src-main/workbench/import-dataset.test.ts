import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../store/db';
import { DatasetError, DatasetIdError } from '../data/dataset';
import type { IdxFile } from '../data/idx';
import { encodeIdx } from '../testing/idx-files';
import { loadDatasetSource, readIdxImport, type IdxPaths } from '../data/load';
import { listDatasets, resolveDatasetSource } from '../catalog/datasets';
import { importIdxDataset } from './import-dataset';

const dir = mkdtempSync(join(tmpdir(), 'vae-import-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let fileNumber = 0;
function write(name: string, bytes: Uint8Array): string {
  const path = join(dir, `${fileNumber++}-${name}`);
  writeFileSync(path, bytes);
  return path;
}

function images(count: number, height = 5, width = 4): IdxFile {
  return {
    kind: 'images',
    count,
    height,
    width,
    data: Uint8Array.from({ length: count * height * width }, (_, i) => (i * 37) % 256),
  };
}

function labels(count: number): IdxFile {
  // Labels use the whole byte range: 0–255 are all valid classes.
  return { kind: 'labels', count, data: Uint8Array.from({ length: count }, (_, i) => (i * 51) % 256) };
}

/** A good set of four files; gzip the train files to cover both forms in one import. */
function goodFiles(): IdxPaths {
  return {
    trainImages: write('train-images.gz', encodeIdx(images(12), { gzip: true })),
    trainLabels: write('train-labels.gz', encodeIdx(labels(12), { gzip: true })),
    testImages: write('test-images', encodeIdx(images(3))),
    testLabels: write('test-labels', encodeIdx(labels(3))),
  };
}

/** Every table and its row count: import must leave all of them as they were when it fails. */
function tableCounts(db: Database): Record<string, number> {
  const tables = db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
    .pluck()
    .all() as string[];
  const counts: Record<string, number> = {};
  for (const table of tables) counts[table] = db.prepare(`SELECT COUNT(*) FROM "${table}"`).pluck().get() as number;
  return counts;
}

let db: Database;
let dbPath: string;
beforeEach(() => {
  dbPath = join(dir, `store-${fileNumber++}.db`);
  db = openDatabase(dbPath);
});
afterEach(() => db.close());

describe('readIdxImport', () => {
  it('reads four files (plain and gzipped) into one dataset', () => {
    const dataset = readIdxImport(goodFiles(), 'tiny');
    expect(dataset.name).toBe('tiny');
    expect(dataset.train).toEqual({ images: images(12).data, labels: labels(12).data, count: 12, height: 5, width: 4 });
    expect(dataset.test.count).toBe(3);
    expect(Math.max(...dataset.train.labels)).toBe(255);
  });

  it('names both files and both counts when images and labels disagree', () => {
    const files = { ...goodFiles(), trainLabels: write('train-labels-11', encodeIdx(labels(11))) };
    const err = (() => {
      try {
        readIdxImport(files, 'x');
      } catch (e) {
        return e as DatasetError;
      }
      throw new Error('no error');
    })();
    expect(err).toBeInstanceOf(DatasetError);
    expect(err.message).toContain(files.trainImages);
    expect(err.message).toContain(files.trainLabels);
    expect(err.message).toMatch(/12 train images but .* has 11 labels/);
  });

  it('refuses train and test images of different sizes, naming both', () => {
    const files = { ...goodFiles(), testImages: write('test-images-6x4', encodeIdx(images(3, 6, 4))) };
    expect(() => readIdxImport(files, 'x')).toThrow(/test images are 6×4 but the train images .* are 5×4/);
  });

  it('notices swapped image and label files', () => {
    const good = goodFiles();
    expect(() => readIdxImport({ ...good, testImages: good.testLabels, testLabels: good.testImages }, 'x')).toThrow(
      /holds 3 labels .* where the test images .* belong/,
    );
  });
});

describe('importIdxDataset', () => {
  it('stores a dataset that lists, resolves and loads back byte for byte', async () => {
    const files = goodFiles();
    const before = tableCounts(db);
    const info = importIdxDataset(db, { id: 'tiny-set', title: '  Tiny set ', files });
    // The row counts the failure cases compare do move on a successful import.
    expect(tableCounts(db)).toEqual({
      ...before,
      datasets: before.datasets + 1,
      dataset_source_files: before.dataset_source_files + 4,
    });
    expect(info).toMatchObject({
      id: 'tiny-set',
      title: 'Tiny set',
      kind: 'imported',
      trainCount: 12,
      testCount: 3,
      height: 5,
      width: 4,
      available: true,
    });
    expect(listDatasets(db).map((d) => d.id)).toEqual(['mnist', 'fashion-mnist', 'tiny-set']);

    const source = resolveDatasetSource(db, dbPath, 'tiny-set');
    expect(source).toEqual({ kind: 'stored', name: 'tiny-set', dbPath, datasetId: 'tiny-set' });
    const loaded = await loadDatasetSource(source);
    const expected = readIdxImport(files, 'tiny-set');
    expect(loaded.train).toEqual(expected.train);
    expect(loaded.test).toEqual(expected.test);
  });

  const badFiles: Array<[string, (good: IdxPaths) => IdxPaths, RegExp]> = [
    [
      'a missing train image file',
      (g) => ({ ...g, trainImages: join(dir, 'does-not-exist') }),
      /does-not-exist: file not found/,
    ],
    [
      'a train label file with a wrong magic',
      (g) => ({ ...g, trainLabels: write('wrong-magic', Uint8Array.from([0, 0, 8, 2, 0, 0, 0, 1, 0, 0, 0, 12])) }),
      /wrong-magic: not an idx image or label file: magic 0x00000802/,
    ],
    [
      'a truncated test image file',
      (g) => ({ ...g, testImages: write('cut-test-images', encodeIdx(images(3)).subarray(0, 40)) }),
      /cut-test-images: truncated: .* 60 data bytes, the file has 24/,
    ],
    [
      'a corrupt gzipped test label file',
      (g) => ({ ...g, testLabels: write('bad.gz', encodeIdx(labels(3), { gzip: true }).subarray(0, 15)) }),
      /bad\.gz: corrupt gzip data/,
    ],
    [
      'a label count that does not match',
      (g) => ({ ...g, testLabels: write('four-labels', encodeIdx(labels(4))) }),
      /3 test images but .*four-labels has 4 labels/,
    ],
  ];

  for (const [what, spoil, message] of badFiles) {
    it(`writes nothing when given ${what}`, () => {
      const before = tableCounts(db);
      const files = spoil(goodFiles());
      expect(() => importIdxDataset(db, { id: 'spoiled', title: 'Spoiled', files })).toThrow(message);
      expect(tableCounts(db)).toEqual(before);
      expect(listDatasets(db).map((d) => d.id)).not.toContain('spoiled');
    });
  }

  it('refuses ids outside DATASET_ID, naming the value and what is allowed', () => {
    for (const id of ['', 'Upper', '-lead', 'has space', 'x'.repeat(65)]) {
      expect(() => importIdxDataset(db, { id, title: 't', files: goodFiles() })).toThrow(DatasetIdError);
      expect(() => importIdxDataset(db, { id, title: 't', files: goodFiles() })).toThrow(
        `dataset id ${JSON.stringify(id)} is not allowed: use 1–64 characters`,
      );
    }
  });

  it('refuses the built-in ids and an id already imported', () => {
    expect(() => importIdxDataset(db, { id: 'mnist', title: 't', files: goodFiles() })).toThrow(
      /"mnist" is taken by a built-in dataset \(mnist, fashion-mnist\)/,
    );
    expect(() => importIdxDataset(db, { id: 'fashion-mnist', title: 't', files: goodFiles() })).toThrow(
      /taken by a built-in/,
    );
    importIdxDataset(db, { id: 'once', title: 'First', files: goodFiles() });
    const before = tableCounts(db);
    expect(() => importIdxDataset(db, { id: 'once', title: 'Second', files: goodFiles() })).toThrow(
      /"once" is already used by the imported dataset "First"/,
    );
    expect(tableCounts(db)).toEqual(before);
  });

  it('refuses a blank title', () => {
    expect(() => importIdxDataset(db, { id: 'ok', title: '   ', files: goodFiles() })).toThrow(
      `dataset title "   " is not allowed`,
    );
  });
});

describe('resolveDatasetSource', () => {
  it('resolves built-in MNIST to its idx files', () => {
    expect(resolveDatasetSource(db, dbPath, 'mnist')).toMatchObject({ kind: 'idx-files', name: 'mnist' });
  });

  it('lists the available ids for an unknown one', () => {
    importIdxDataset(db, { id: 'mine', title: 'Mine', files: goodFiles() });
    expect(() => resolveDatasetSource(db, dbPath, 'cifar10')).toThrow(DatasetIdError);
    expect(() => resolveDatasetSource(db, dbPath, 'cifar10')).toThrow(
      /unknown dataset "cifar10"; available datasets are mnist, .*mine/,
    );
  });
});

describe('loadDatasetSource from the store', () => {
  it('names the database file when it does not exist', async () => {
    const missing = join(dir, 'no-such-store.db');
    await expect(loadDatasetSource({ kind: 'stored', name: 'x', dbPath: missing, datasetId: 'x' })).rejects.toThrow(
      missing,
    );
  });

  it('names the database and the id when the dataset is gone', async () => {
    await expect(loadDatasetSource({ kind: 'stored', name: 'gone', dbPath, datasetId: 'gone' })).rejects.toThrow(
      `${dbPath}: no imported dataset with id "gone"`,
    );
  });
});
