import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultConfig, type ExperimentConfig } from '../../src-shared/config';
import type { ImageSplit } from '../records';
import { saveImportedDataset } from '../store/datasets';
import { openDatabase, type Database } from '../store/db';
import { recordEpoch } from '../store/metrics';
import { claimNextRun, markRunFinished, queueRuns } from '../store/runs';
import { initialWeights } from '../training/model';
import type { EpochResult } from '../records';

/**
 * A store for the latent engine's tests: a small imported dataset of 8×8 images and runs whose checkpoints hold
 * freshly initialised weights (the views need a decoder that varies with z, not a trained one).
 */

export const FIXTURE_DATASET = 'latent-fixture';
export const FIXTURE_SIZE = 8;
export const FIXTURE_TEST_COUNT = 40;

function split(count: number): ImageSplit {
  const pixels = FIXTURE_SIZE * FIXTURE_SIZE;
  const images = new Uint8Array(count * pixels);
  for (let i = 0; i < count; i++) {
    // Image i is a bright bar at row i mod 8 over a faint gradient: distinct images, so distinct encodings.
    for (let p = 0; p < pixels; p++)
      images[i * pixels + p] = Math.floor(p / FIXTURE_SIZE) === i % FIXTURE_SIZE ? 250 : (p * 3 + i) % 60;
  }
  return {
    images,
    labels: Uint8Array.from({ length: count }, (_, i) => i % 4),
    count,
    height: FIXTURE_SIZE,
    width: FIXTURE_SIZE,
  };
}

export interface LatentFixture {
  path: string;
  db: Database;
  /** Adds a finished run with `epochs` checkpoints; epoch e's per-dimension KL is klPerDim(e). */
  addRun(
    overrides: Partial<ExperimentConfig>,
    options?: { epochs?: number; klPerDim?: (epoch: number, latentDim: number) => number[] },
  ): number;
  close(): void;
}

export function openLatentFixture(): LatentFixture {
  const dir = mkdtempSync(join(tmpdir(), 'vae-latent-'));
  const path = join(dir, 'experiments.db');
  const db = openDatabase(path);
  saveImportedDataset(db, {
    id: FIXTURE_DATASET,
    title: 'Latent fixture',
    dataset: { name: FIXTURE_DATASET, train: split(16), test: split(FIXTURE_TEST_COUNT) },
    sourceFiles: [],
  });
  return {
    path,
    db,
    addRun(overrides, options = {}) {
      const config: ExperimentConfig = {
        ...defaultConfig,
        dataset: FIXTURE_DATASET,
        hiddenSizes: [16],
        latentDim: 2,
        epochs: options.epochs ?? 1,
        checkpointKeep: 'all',
        ...overrides,
      };
      return addUntrainedRun(db, {
        experimentName: 'latent tests',
        config,
        shape: { height: FIXTURE_SIZE, width: FIXTURE_SIZE },
        klPerDim: options.klPerDim,
      });
    },
    close() {
      if (db.open) db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Adds a finished run of `config.epochs` epochs, each with a checkpoint of freshly initialised weights (seeded by the
 * run's seed and the epoch) and constant metrics: a run the latent views can decode, without training one.
 */
export function addUntrainedRun(
  db: Database,
  opts: {
    experimentName: string;
    config: ExperimentConfig;
    shape: { height: number; width: number };
    klPerDim?: (epoch: number, latentDim: number) => number[];
  },
): number {
  const { config, shape } = opts;
  const [queued] = queueRuns(db, { experimentName: opts.experimentName, configs: [config] });
  const run = claimNextRun(db, process.pid);
  if (!run || run.id !== queued.id) throw new Error(`expected to claim run ${queued.id}`);
  const J = config.latentDim;
  for (let epoch = 1; epoch <= config.epochs; epoch++) {
    const weights = initialWeights({ config, shape, seed: config.seed + epoch });
    const metrics = { recon: 40, kl: 5, betaKl: 5, elbo: -45, loss: 45 };
    const result: EpochResult = {
      type: 'epoch',
      epoch,
      beta: config.beta,
      train: metrics,
      test: metrics,
      klPerDim: opts.klPerDim?.(epoch, J) ?? Array.from({ length: J }, (_, j) => j + 1),
      muVariancePerDim: new Array<number>(J).fill(0.5),
      activeUnits: J,
      wallTimeSec: 1,
      examplesPerSec: 100,
      numTensors: 10,
      images: { width: shape.width, height: shape.height, inputs: [], reconstructions: [], samples: [] },
      checkpoint: { epoch, weights, optimizer: null },
    };
    recordEpoch(db, run.id, result);
  }
  markRunFinished(db, run.id);
  return run.id;
}
