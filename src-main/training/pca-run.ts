import * as tf from '@tensorflow/tfjs';
import type { EpochResult } from '../records';
import { gatherExamples, trainPixelMode } from './data';
import { disposeModel, modelWeights, setModelWeights } from './model';
import { fitPca, pcaWeights } from './pca';
import { rngFor, Stream } from './random';
import {
  ACTIVE_UNIT_THRESHOLD,
  epochImages,
  evaluateTest,
  prepare,
  type TrainOutcome,
  type TrainRunOptions,
} from './trainer';

/**
 * The PCA baseline as a run: fitted in closed form on the training images (the run's subset and binarization), then
 * evaluated exactly as a VAE epoch is, so its reconstruction term is −log p(x|x̂) under the run's decoder likelihood in
 * nats per example, beside the squared error per image. It records one epoch (KL = 0: a baseline has no rate and no
 * ELBO) with its images and a checkpoint holding the mean and the whitened components, which the latent views load as
 * they load any model's.
 */
export async function fitPcaRun(options: TrainRunOptions): Promise<TrainOutcome> {
  const { config, dataset } = options;
  const started = performance.now();
  const run = prepare(config, dataset, null);
  try {
    const count = run.trainIndex.length;
    const pixels = gatherExamples(dataset.train, run.trainIndex, trainPixelMode(config.binarization, config.seed, 1));
    const chunkRows = 4096;
    const chunks = Math.ceil(count / chunkRows);
    // The covariance chunks are the batches; the eigensolve is the last one.
    const batches = chunks + 1;
    let lastReport = -Infinity;
    const report = (batch: number): void => {
      const now = performance.now();
      if (!options.onBatch || (now - lastReport < (options.batchIntervalMs ?? 100) && batch < batches)) return;
      lastReport = now;
      const seen = Math.min(count, batch * chunkRows);
      // No loss exists until the fit is done: the running terms are NaN, not a made-up 0.
      options.onBatch({
        type: 'batch',
        epoch: 1,
        batch,
        batches,
        recon: NaN,
        kl: 0,
        loss: NaN,
        examplesPerSec: seen / ((now - started) / 1000),
      });
    };
    const rng = rngFor(config.seed, Stream.init, 0x9ca);
    const fit = await fitPca(pixels, count, run.pixels, config.latentDim, () => rng.uniform(), {
      chunkRows,
      onProgress: (p) => report(p.phase === 'covariance' ? Math.ceil(p.done / chunkRows) : chunks),
      shouldStop: options.shouldStop,
    });
    if (fit === null) return { status: 'stopped', epochsDone: 0 };
    report(batches);
    const fitSeconds = (performance.now() - started) / 1000;
    const weights = pcaWeights(fit);
    setModelWeights(run.model, weights);

    const trainSplit = { testPixels: pixels, testCount: count, pixels: run.pixels };
    const train = (await evaluateTest(run.model, config, trainSplit, 0)).test;
    const evaluation = await evaluateTest(run.model, config, run, 0);
    const images = await epochImages(run.model, run);
    const wallTimeSec = (performance.now() - started) / 1000;
    const result: EpochResult = {
      type: 'epoch',
      epoch: 1,
      beta: 0,
      train,
      test: evaluation.test,
      klPerDim: evaluation.klPerDim,
      muVariancePerDim: evaluation.muVariancePerDim,
      activeUnits: evaluation.muVariancePerDim.filter((v) => v > ACTIVE_UNIT_THRESHOLD).length,
      wallTimeSec,
      examplesPerSec: count / fitSeconds,
      numTensors: tf.memory().numTensors,
      images,
      checkpoint: { epoch: 1, weights: await modelWeights(run.model), optimizer: null },
    };
    await options.onEpoch?.(result);
    return { status: 'finished', epochsDone: 1 };
  } finally {
    disposeModel(run.model);
    run.dispose();
  }
}
