import * as tf from '@tensorflow/tfjs';
import type { ExperimentConfig } from '../../src-shared/config';
import type { ImageSplit, NamedArray } from '../records';
import { gatherExamples, testIndices, testPixelMode } from './data';
import { estimateNll } from './losses';
import { disposeModel, loadModel } from './model';

export interface SplitNllOptions {
  /** Importance samples per example; 5000 is the literature's standard (Burda et al. 2016). */
  k: number;
  /**
   * The first N of the test examples the run was evaluated on (its test subset), so the estimate compares with the
   * run's test ELBO; null = all of them.
   */
  examples: number | null;
  /** Examples per batch: bounds memory together with the estimator's own chunking. */
  batchSize?: number;
  onProgress?: (done: number, total: number) => void;
}

/**
 * The mean of −log p(x) over a run's test examples, for the model with these weights, with the same test pixels
 * the run was evaluated on (binarized when the run was). Runs TF.js on the current backend.
 */
export async function testSplitNll(
  config: ExperimentConfig,
  weights: NamedArray[],
  split: ImageSplit,
  options: SplitNllOptions,
): Promise<{ nll: number; count: number }> {
  const evaluated = testIndices(split.count, config.testSubset).length;
  const indices = testIndices(split.count, Math.min(options.examples ?? evaluated, evaluated));
  const pixels = split.height * split.width;
  const x = gatherExamples(split, indices, testPixelMode(config.binarization, config.seed));
  const model = loadModel(config, { height: split.height, width: split.width }, weights);
  const batchSize = options.batchSize ?? 50;
  let sum = 0;
  try {
    for (let start = 0; start < indices.length; start += batchSize) {
      const n = Math.min(batchSize, indices.length - start);
      const batch = tf.tensor2d(x.subarray(start * pixels, (start + n) * pixels), [n, pixels]);
      try {
        // Seeded per batch, so the same run, k and examples give the same estimate.
        for (const value of await estimateNll(model, batch, options.k, { seed: config.seed * 100_003 + start }))
          sum += value;
      } finally {
        batch.dispose();
      }
      options.onProgress?.(start + n, indices.length);
    }
  } finally {
    disposeModel(model);
  }
  return { nll: sum / indices.length, count: indices.length };
}
