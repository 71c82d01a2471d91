import * as tf from '@tensorflow/tfjs';
import type { Database } from 'better-sqlite3';
import type { RunSummary } from '../../src-shared/runs';
import { resolveDatasetSource } from '../data/import';
import { loadDatasetSource } from '../data/load';
import { loadCheckpoint } from '../store/checkpoints';
import { saveNllEstimate, type NllEstimate } from '../store/nll';
import { selectBackend } from './backend';
import { gatherExamples, testIndices, testPixelMode } from './data';
import { estimateNll } from './losses';
import { disposeModel, loadModel } from './model';

export interface TestNllOptions {
  /** Importance samples per example; 5000 is the literature's standard (Burda et al. 2016). */
  k: number;
  /**
   * The first N of the test examples the run was evaluated on (its test subset), so the estimate compares with the
   * run's test ELBO; null = all of them.
   */
  examples: number | null;
  /** The checkpoint's epoch; the newest checkpoint when omitted. */
  epoch?: number;
  /** Examples per batch: bounds memory together with the estimator's own chunking. */
  batchSize?: number;
  onProgress?: (done: number, total: number) => void;
}

/**
 * Estimates −log p(x) on a run's test split from a stored checkpoint, with the same test pixels the run was
 * evaluated on (binarized when the run was), and stores the mean. This runs TF.js: call it from a process that may
 * block (the CLI), never from the app's main process.
 */
export async function estimateTestNll(
  db: Database,
  dbPath: string,
  run: RunSummary,
  options: TestNllOptions,
): Promise<NllEstimate> {
  if (run.config.autoencoder) {
    throw new Error(
      `run ${run.id} is a plain autoencoder: the importance-sampled NLL needs a stochastic encoder q(z|x)`,
    );
  }
  const checkpoint = loadCheckpoint(db, run.id, options.epoch);
  if (!checkpoint) {
    throw new Error(
      options.epoch === undefined
        ? `run ${run.id} has no checkpoint yet`
        : `run ${run.id} has no checkpoint at epoch ${options.epoch}; see \`vae-workbench show ${run.id}\``,
    );
  }
  await selectBackend(null);
  const dataset = await loadDatasetSource(resolveDatasetSource(db, dbPath, run.config.dataset));
  const split = dataset.test;
  const evaluated = testIndices(split.count, run.config.testSubset).length;
  const indices = testIndices(split.count, Math.min(options.examples ?? evaluated, evaluated));
  const pixels = split.height * split.width;
  const x = gatherExamples(split, indices, testPixelMode(run.config.binarization, run.config.seed));
  const model = loadModel(run.config, { height: split.height, width: split.width }, checkpoint.weights);
  const batchSize = options.batchSize ?? 50;
  let sum = 0;
  try {
    for (let start = 0; start < indices.length; start += batchSize) {
      const n = Math.min(batchSize, indices.length - start);
      const batch = tf.tensor2d(x.subarray(start * pixels, (start + n) * pixels), [n, pixels]);
      try {
        // Seeded per batch, so the same run, k and examples give the same estimate.
        for (const value of estimateNll(model, batch, options.k, { seed: run.config.seed * 100_003 + start }))
          sum += value;
      } finally {
        batch.dispose();
      }
      options.onProgress?.(start + n, indices.length);
    }
  } finally {
    disposeModel(model);
  }
  return saveNllEstimate(db, {
    runId: run.id,
    epoch: checkpoint.epoch,
    split: 'test',
    k: options.k,
    count: indices.length,
    nll: sum / indices.length,
  });
}
