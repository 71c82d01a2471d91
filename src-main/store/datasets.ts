import { DATASET_ID } from '../../src-shared/config';
import type { DatasetChoice } from '../../src-shared/import';
import type { ImageDataset, ImageSplit } from '../records';
import { nowIso, writeTransaction, statement, type Database } from './db';
import { StoreError } from './errors';

export interface SaveImportedDatasetInput {
  id: string;
  title: string;
  dataset: ImageDataset;
  /** The files it was read from, for provenance. */
  sourceFiles: string[];
}

/** Stores an imported dataset whole (images and labels as BLOBs); refuses an id already stored. */
export function saveImportedDataset(db: Database, input: SaveImportedDatasetInput): DatasetChoice {
  if (typeof input.id !== 'string' || !DATASET_ID.test(input.id)) {
    throw new StoreError(
      'invalid',
      `dataset id ${JSON.stringify(input.id)} is not allowed: use lowercase letters, digits, '_', '.', '-' (at most 64, starting with a letter or digit)`,
    );
  }
  const title = typeof input.title === 'string' ? input.title.trim() : '';
  if (title.length === 0 || title.length > 200) {
    throw new StoreError(
      'invalid',
      `dataset title ${JSON.stringify(input.title)} is not allowed: use 1–200 characters`,
    );
  }
  const { train, test } = input.dataset;
  checkSplit(input.id, 'train', train);
  checkSplit(input.id, 'test', test);
  if (train.height !== test.height || train.width !== test.width) {
    throw new StoreError(
      'invalid',
      `dataset ${input.id}: train images are ${train.width}×${train.height} but test images are ${test.width}×${test.height}; both splits need one size`,
    );
  }
  return writeTransaction(db, () => {
    if (statement(db, 'SELECT 1 FROM datasets WHERE id = ?').get(input.id)) {
      throw new StoreError(
        'conflict',
        `a dataset with id ${JSON.stringify(input.id)} is already imported; choose another id or delete it first`,
      );
    }
    statement(
      db,
      `INSERT INTO datasets (id, title, height, width, train_count, train_images, train_labels, test_count, test_images,
         test_labels, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      input.id,
      title,
      train.height,
      train.width,
      train.count,
      asBuffer(train.images),
      asBuffer(train.labels),
      test.count,
      asBuffer(test.images),
      asBuffer(test.labels),
      nowIso(),
    );
    const insertFile = statement(db, 'INSERT INTO dataset_source_files (dataset_id, position, path) VALUES (?, ?, ?)');
    input.sourceFiles.forEach((path, i) => insertFile.run(input.id, i, String(path)));
    return listImportedDatasets(db).find((d) => d.id === input.id)!;
  });
}

function checkSplit(id: string, name: string, split: ImageSplit): void {
  const bad = (problem: string): StoreError => new StoreError('invalid', `dataset ${id} ${name} split: ${problem}`);
  if (!Number.isInteger(split.count) || split.count < 1) throw bad(`count ${split.count} must be an integer ≥ 1`);
  if (!Number.isInteger(split.height) || !Number.isInteger(split.width) || split.height < 1 || split.width < 1) {
    throw bad(`image size ${split.width}×${split.height} must be positive integers`);
  }
  const pixels = split.count * split.height * split.width;
  if (!(split.images instanceof Uint8Array) || split.images.length !== pixels) {
    throw bad(
      `${split.images?.length} image bytes; ${split.count} images of ${split.width}×${split.height} need ${pixels}`,
    );
  }
  if (!(split.labels instanceof Uint8Array) || split.labels.length !== split.count) {
    throw bad(`${split.labels?.length} labels for ${split.count} images`);
  }
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function loadImportedDataset(db: Database, id: string): ImageDataset | undefined {
  const row = statement(db, 'SELECT * FROM datasets WHERE id = ?').get(id) as
    | {
        id: string;
        height: number;
        width: number;
        train_count: number;
        train_images: Buffer;
        train_labels: Buffer;
        test_count: number;
        test_images: Buffer;
        test_labels: Buffer;
      }
    | undefined;
  if (!row) return undefined;
  const split = (count: number, images: Buffer, labels: Buffer): ImageSplit => ({
    images: new Uint8Array(images),
    labels: new Uint8Array(labels),
    count,
    height: row.height,
    width: row.width,
  });
  return {
    name: row.id,
    train: split(row.train_count, row.train_images, row.train_labels),
    test: split(row.test_count, row.test_images, row.test_labels),
  };
}

/** The imported datasets, without reading their images. */
export function listImportedDatasets(db: Database): DatasetChoice[] {
  const rows = statement(
    db,
    'SELECT id, title, height, width, train_count, test_count FROM datasets ORDER BY id',
  ).all() as {
    id: string;
    title: string;
    height: number;
    width: number;
    train_count: number;
    test_count: number;
  }[];
  return rows.map((row) => ({
    id: row.id,
    title: row.title,
    kind: 'imported',
    trainCount: row.train_count,
    testCount: row.test_count,
    height: row.height,
    width: row.width,
    available: true,
    note: null,
  }));
}
