import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultConfig, type ExperimentConfig } from '../../src-shared/config';
import type { SplitMetrics } from '../../src-shared/runs';
import type { CheckpointPayload, EpochResult } from '../records';
import { afterEach } from 'vitest';
import { openDatabase, type Database } from '../store/db';

/** Shared set-up for the store's tests: real files in a temp folder, since WAL behaves differently in memory. */

export interface TempStore {
  db: Database;
  path: string;
  dir: string;
  close: () => void;
}

export function openTempStore(): TempStore {
  const dir = mkdtempSync(join(tmpdir(), 'vae-store-'));
  const path = join(dir, 'experiments.db');
  const db = openDatabase(path);
  return {
    db,
    path,
    dir,
    close: () => {
      if (db.open) db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function smallConfig(overrides: Partial<ExperimentConfig> = {}): ExperimentConfig {
  return { ...defaultConfig, latentDim: 2, epochs: 5, ...overrides };
}

function metrics(recon: number, kl: number, beta: number): SplitMetrics {
  return { recon, kl, betaKl: beta * kl, elbo: -(recon + kl), loss: recon + beta * kl };
}

export function checkpointFor(epoch: number, withOptimizer = true): CheckpointPayload {
  return {
    epoch,
    weights: [
      { name: 'encoder/dense/kernel', shape: [3, 2], data: Float32Array.from([1, 2, 3, 4, 5, epoch]) },
      { name: 'encoder/dense/bias', shape: [2], data: Float32Array.from([0.5, -0.5]) },
    ],
    optimizer: withOptimizer ? [{ name: 'adam/step', shape: [], data: Float32Array.from([epoch * 10]) }] : null,
  };
}

/** A plausible epoch of a run with the given latentDim: test recon falls as epochs go on unless overridden. */
export function epochResult(
  epoch: number,
  latentDim: number,
  options: { testRecon?: number; checkpoint?: boolean | 'weights-only'; beta?: number } = {},
): EpochResult {
  const beta = options.beta ?? 1;
  const testRecon = options.testRecon ?? 200 - epoch * 10;
  return {
    type: 'epoch',
    epoch,
    beta,
    train: metrics(testRecon - 5, 10 + epoch, beta),
    test: metrics(testRecon, 10 + epoch, beta),
    klPerDim: Array.from({ length: latentDim }, (_, j) => (j + 1) * 0.5),
    muVariancePerDim: Array.from({ length: latentDim }, (_, j) => (j % 2 === 0 ? 0.9 : 0.001)),
    activeUnits: Math.ceil(latentDim / 2),
    wallTimeSec: 2.5,
    examplesPerSec: 24_000,
    numTensors: 42,
    images: {
      width: 2,
      height: 2,
      inputs: [Uint8Array.from([0, 1, 2, 3]), Uint8Array.from([4, 5, 6, epoch])],
      reconstructions: [Uint8Array.from([9, 9, 9, 9])],
      samples: [],
    },
    checkpoint: options.checkpoint === false ? null : checkpointFor(epoch, options.checkpoint !== 'weights-only'),
  };
}

/**
 * Databases in temporary folders for the tests of one file: call the returned function in a test, each database is
 * closed after that test (the queue's tests fork processes that open the same file, so it must be a real path).
 */
export function tempDatabases(prefix: string): () => { db: Database; dbPath: string } {
  const open: Database[] = [];
  afterEach(() => {
    for (const db of open.splice(0)) db.close();
  });
  return () => {
    const dbPath = join(mkdtempSync(join(tmpdir(), prefix)), 'runs.db');
    const db = openDatabase(dbPath);
    open.push(db);
    return { db, dbPath };
  };
}
