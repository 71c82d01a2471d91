import * as tf from '@tensorflow/tfjs';
import { betaAt, type ExperimentConfig } from '../../src-shared/config';
import type { SplitMetrics } from '../../src-shared/runs';
import type { ImageDataset } from '../records';
import { gatherExamples, testIndices, testPixelMode, trainIndices, trainPixelMode } from './data';
import { freeBitsKl, importanceLogWeights, iwaeBound, klPerDimension, modelReconstructionNll } from './losses';
import {
  buildModel,
  decode,
  decoderMean,
  disposeModel,
  encode,
  reparameterize,
  setModelWeights,
  type VaeModel,
} from './model';
import { Adam } from './optimizer';
import type { EpochImages } from '../../src-shared/runs';
import type { CheckpointPayload, EpochResult } from '../records';
import type { FromWorker } from './protocol';
import { fillNormal, permutation, rngFor, Stream } from './random';
import { fitPcaRun } from './pca-run';

/**
 * One run's training loop. Runs in the training process (worker.ts) and in-process for tests and benchmarks.
 * Every random draw is keyed by (seed, epoch, batch or example), so the same seed, config and backend give the
 * same numbers, and resuming from epoch k's checkpoint reproduces the uninterrupted run exactly.
 */

export type BatchProgress = Extract<FromWorker, { type: 'batch' }>;

export interface TrainRunOptions {
  config: ExperimentConfig;
  dataset: ImageDataset;
  /** Continue after this checkpoint's epoch, with its weights and optimizer state. */
  resumeFrom: CheckpointPayload | null;
  /** Running means within the epoch, at most every `batchIntervalMs` (and always on an epoch's last batch). */
  onBatch?: (progress: BatchProgress) => void;
  /** Awaited before the next epoch starts. */
  onEpoch?: (result: EpochResult) => void | Promise<void>;
  /** Polled after every batch; true ends the run after that batch, without an epoch result. */
  shouldStop?: () => boolean;
  batchIntervalMs?: number;
}

export type TrainOutcome =
  | { status: 'finished'; epochsDone: number }
  | { status: 'stopped'; epochsDone: number }
  | { status: 'failed'; epoch: number; message: string };

/** The run cannot start: config and dataset do not fit together, or the checkpoint does not match. */
export class TrainingError extends Error {
  override name = 'TrainingError';
}

/** Images in the per-epoch strips. */
export const STRIP_SIZE = 8;
/** Examples per test-evaluation batch (divided by L): no gradients are kept, so larger than training batches. */
const EVAL_BATCH = 500;
/** Dimension j is active when Var_x(E_q[z_j|x]) exceeds this (Burda et al. 2016, section 5.2). */
export const ACTIVE_UNIT_THRESHOLD = 0.01;

export async function trainRun(options: TrainRunOptions): Promise<TrainOutcome> {
  // PCA is fitted, not trained: one pass in closed form, recorded as the run's one epoch.
  if (options.config.model === 'pca') return fitPcaRun(options);
  const { config, dataset } = options;
  const run = prepare(config, dataset, options.resumeFrom);
  const { model } = run;
  try {
    const adam = await Adam.create(model.params, { learningRate: config.learningRate });
    if (options.resumeFrom?.optimizer) adam.restore(options.resumeFrom.optimizer);
    const variables = model.params.map((p) => p.variable);
    const interval = options.batchIntervalMs ?? 100;
    let epochsDone = run.startEpoch - 1;

    for (let epoch = run.startEpoch; epoch <= config.epochs; epoch++) {
      const beta = config.autoencoder ? 0 : betaAt(config, epoch);
      const epochStart = performance.now();
      const order = permutation(rngFor(config.seed, Stream.shuffle, epoch), run.trainIndex.length);
      const pixelMode = trainPixelMode(config.binarization, config.seed, epoch);
      const batches = Math.ceil(order.length / config.batchSize);
      let reconSum = 0;
      let klSum = 0;
      let lossSum = 0;
      let seen = 0;
      let lastReport = -Infinity;

      for (let batch = 0; batch < batches; batch++) {
        const from = batch * config.batchSize;
        const ids = order.subarray(from, Math.min(from + config.batchSize, order.length)).map((i) => run.trainIndex[i]);
        const n = ids.length;
        const pixels = gatherExamples(dataset.train, ids, pixelMode);
        const eps = config.autoencoder
          ? null
          : fillNormal(
              rngFor(config.seed, Stream.epsilon, epoch, batch),
              new Float32Array(run.samples * n * config.latentDim),
            );
        const x = tf.tensor2d(pixels, [n, run.pixels]);
        const epsT = eps === null ? null : tf.tensor2d(eps, [run.samples * n, config.latentDim]);
        // recon, KL and loss leave the differentiated function through tf.keep; one read brings all three back.
        const kept: { terms?: tf.Tensor } = {};
        const { grads, value } = tf.variableGrads(() => {
          const { loss, recon, kl } = objective(model, config, x, epsT, beta);
          kept.terms = tf.keep(tf.stack([recon, kl, loss]));
          return loss;
        }, variables);
        let values: Float32Array;
        // Reads are asynchronous (synchronous ones throw on webgpu in Node), so no tf.tidy here: dispose by hand.
        try {
          values = (await kept.terms!.data()).slice() as Float32Array;
          if (values.every(Number.isFinite)) await adam.apply(grads);
        } finally {
          tf.dispose([x, ...(epsT === null ? [] : [epsT]), kept.terms!, value, ...Object.values(grads)]);
        }
        const [recon, kl, loss] = values;
        if (![recon, kl, loss].every(Number.isFinite)) {
          return {
            status: 'failed',
            epoch,
            message: divergenceMessage(config, epoch, batch + 1, batches, { recon, kl }),
          };
        }
        reconSum += recon * n;
        klSum += kl * n;
        lossSum += loss * n;
        seen += n;
        const now = performance.now();
        if (options.onBatch && (now - lastReport >= interval || batch === batches - 1)) {
          lastReport = now;
          options.onBatch({
            type: 'batch',
            epoch,
            batch: batch + 1,
            batches,
            recon: reconSum / seen,
            kl: klSum / seen,
            loss: plainElbo(config) ? (config.alpha * reconSum + beta * klSum) / seen : lossSum / seen,
            examplesPerSec: seen / ((now - epochStart) / 1000),
          });
        }
        // Lets the worker's message handler run (a 'stop' arrives between batches).
        await yieldToMessages();
        if (options.shouldStop?.()) return { status: 'stopped', epochsDone };
      }
      const trainSeconds = (performance.now() - epochStart) / 1000;

      const train = splitMetrics(
        config,
        beta,
        reconSum / seen,
        klSum / seen,
        plainElbo(config) ? null : lossSum / seen,
      );
      const evaluation = await evaluateTest(model, config, run, beta);
      if (![evaluation.test.recon, evaluation.test.kl].every(Number.isFinite)) {
        return {
          status: 'failed',
          epoch,
          message: divergenceMessage(config, epoch, null, batches, evaluation.test),
        };
      }
      const images = await epochImages(model, run);
      const saveCheckpoint = epoch % config.checkpointEvery === 0 || epoch === config.epochs;
      const checkpoint: CheckpointPayload | null = saveCheckpoint
        ? { epoch, weights: adam.weights(), optimizer: adam.state() }
        : null;
      const wallTimeSec = (performance.now() - epochStart) / 1000;
      const result: EpochResult = {
        type: 'epoch',
        epoch,
        beta,
        train,
        test: evaluation.test,
        klPerDim: evaluation.klPerDim,
        muVariancePerDim: evaluation.muVariancePerDim,
        activeUnits: evaluation.muVariancePerDim.filter((v) => v > ACTIVE_UNIT_THRESHOLD).length,
        wallTimeSec,
        examplesPerSec: seen / trainSeconds,
        numTensors: tf.memory().numTensors,
        images,
        checkpoint,
      };
      epochsDone = epoch;
      await options.onEpoch?.(result);
      if (options.shouldStop?.()) return { status: 'stopped', epochsDone };
    }
    return { status: 'finished', epochsDone };
  } finally {
    disposeModel(model);
    run.dispose();
  }
}

export interface PreparedRun {
  model: VaeModel;
  startEpoch: number;
  /** Samples of z per training example: k of the IWAE bound, else L. */
  samples: number;
  pixels: number;
  trainIndex: Uint32Array;
  /** Test pixels as the model sees them, [count · H·W]; fixed for the whole run. */
  testPixels: Float32Array;
  testCount: number;
  /** Fixed prior draws for the sample strip. */
  stripZ: tf.Tensor2D;
  dispose(): void;
}

export function prepare(
  config: ExperimentConfig,
  dataset: ImageDataset,
  resumeFrom: CheckpointPayload | null,
): PreparedRun {
  const { train, test } = dataset;
  if (train.height !== test.height || train.width !== test.width) {
    throw new TrainingError(
      `dataset ${dataset.name}: train images are ${train.height}×${train.width} but test images are ${test.height}×${test.width}`,
    );
  }
  if (train.count < 1 || test.count < 1) {
    throw new TrainingError(
      `dataset ${dataset.name} has ${train.count} training and ${test.count} test examples; both splits need at least one`,
    );
  }
  if (config.trainSubset !== null && config.trainSubset > train.count) {
    throw new TrainingError(
      `trainSubset = ${config.trainSubset} exceeds the ${train.count} training examples of ${dataset.name}; use at most ${train.count} or null for all`,
    );
  }
  if (config.testSubset !== null && config.testSubset > test.count) {
    throw new TrainingError(
      `testSubset = ${config.testSubset} exceeds the ${test.count} test examples of ${dataset.name}; use at most ${test.count} or null for all`,
    );
  }
  if (config.iwaeSamples > 1 && config.autoencoder) {
    throw new TrainingError(
      `iwaeSamples = ${config.iwaeSamples} needs a stochastic encoder q(z|x); a plain autoencoder trains with iwaeSamples = 1`,
    );
  }
  if (config.iwaeSamples > 1 && config.mcSamples > 1) {
    throw new TrainingError(
      `iwaeSamples = ${config.iwaeSamples} and mcSamples = ${config.mcSamples}: the IWAE bound draws its own k samples; set mcSamples = 1`,
    );
  }
  if (config.iwaeSamples > 1 && config.freeBits > 0) {
    throw new TrainingError(
      `freeBits = ${config.freeBits} applies to the ELBO's KL term, which the IWAE bound (iwaeSamples = ${config.iwaeSamples}) has not; set one of them off`,
    );
  }
  let startEpoch = 1;
  if (resumeFrom !== null) {
    if (!Number.isInteger(resumeFrom.epoch) || resumeFrom.epoch < 1 || resumeFrom.epoch > config.epochs) {
      throw new TrainingError(
        `cannot resume from the checkpoint of epoch ${resumeFrom.epoch}: the run has epochs 1–${config.epochs}`,
      );
    }
    startEpoch = resumeFrom.epoch + 1;
  }
  const shape = { height: train.height, width: train.width };
  const model = buildModel({ config, shape, seed: config.seed });
  try {
    if (resumeFrom !== null) setModelWeights(model, resumeFrom.weights);
  } catch (error) {
    disposeModel(model);
    throw new TrainingError(`cannot resume: ${(error as Error).message}`);
  }
  const testIdx = testIndices(test.count, config.testSubset);
  const stripZ = tf.tensor2d(
    fillNormal(rngFor(config.seed, Stream.priorSamples), new Float32Array(STRIP_SIZE * config.latentDim)),
    [STRIP_SIZE, config.latentDim],
  );
  return {
    model,
    startEpoch,
    samples: config.iwaeSamples > 1 ? config.iwaeSamples : config.mcSamples,
    pixels: shape.height * shape.width,
    trainIndex: trainIndices(train.count, config.trainSubset, config.seed),
    testPixels: gatherExamples(test, testIdx, testPixelMode(config.binarization, config.seed)),
    testCount: testIdx.length,
    stripZ,
    dispose: () => stripZ.dispose(),
  };
}

interface Objective {
  loss: tf.Scalar;
  /** Mean over examples (and the L samples) of −log p(x|z). */
  recon: tf.Scalar;
  /** Mean over examples of KL(q(z|x) ‖ p(z)); 0 for an autoencoder. */
  kl: tf.Scalar;
}

/** Whether the loss is the plain α·recon + β·KL (no IWAE bound, no free bits). */
function plainElbo(config: ExperimentConfig): boolean {
  return config.iwaeSamples === 1 && (config.freeBits === 0 || config.autoencoder);
}

/**
 * α·recon + β·KL averaged over the batch and the L samples of z (pytorch/examples vae, Kingma & Welling 2014 eq. 10);
 * with free bits the KL term counts Σ_j max(λ, KL_j) (Kingma et al. 2016); with k > 1 importance samples the loss is
 * −L_k, the IWAE bound with α and β weighting log p(x|z) and log p(z)/q(z|x) (Burda et al. 2016). recon and KL are
 * reported as the plain terms either way.
 */
function objective(
  model: VaeModel,
  config: ExperimentConfig,
  x: tf.Tensor2D,
  eps: tf.Tensor2D | null,
  beta: number,
): Objective {
  if (eps !== null && config.iwaeSamples > 1) {
    const { logWeights, recon, posterior } = importanceLogWeights(model, x, eps, config.alpha, beta);
    return {
      loss: tf.neg(tf.mean(iwaeBound(logWeights, x.shape[0]))) as tf.Scalar,
      recon: tf.mean(recon) as tf.Scalar,
      kl: tf.div(tf.sum(klPerDimension(posterior.mu, posterior.logVar!)), x.shape[0]) as tf.Scalar,
    };
  }
  const posterior = encode(model, x);
  const z = eps === null ? posterior.mu : reparameterize(posterior, eps);
  const samples = z.shape[0] / x.shape[0];
  const target = samples === 1 ? x : (tf.tile(x, [samples, 1]) as tf.Tensor2D);
  const recon = tf.mean(modelReconstructionNll(model, decode(model, z), target)) as tf.Scalar;
  if (posterior.logVar === null) {
    return { loss: tf.mul(recon, config.alpha) as tf.Scalar, recon, kl: tf.scalar(0) };
  }
  const perDim = klPerDimension(posterior.mu, posterior.logVar);
  const kl = tf.div(tf.sum(perDim), x.shape[0]) as tf.Scalar;
  const klTerm = config.freeBits > 0 ? freeBitsKl(perDim, config.freeBits) : kl;
  const loss = tf.add(tf.mul(recon, config.alpha), tf.mul(klTerm, beta)) as tf.Scalar;
  return { loss, recon, kl };
}

/** loss: the objective minimised when it is not α·recon + β·KL (the IWAE bound, free bits). */
function splitMetrics(
  config: ExperimentConfig,
  beta: number,
  recon: number,
  kl: number,
  loss: number | null = null,
): SplitMetrics {
  return { recon, kl, betaKl: beta * kl, elbo: -(recon + kl), loss: loss ?? config.alpha * recon + beta * kl };
}

export interface TestEvaluation {
  test: SplitMetrics;
  klPerDim: number[];
  muVariancePerDim: number[];
}

/** A full pass over the test split without gradients; ε is the same every epoch, so the curve shows the model's change only. */
export async function evaluateTest(
  model: VaeModel,
  config: ExperimentConfig,
  run: TestSplit,
  beta: number,
): Promise<TestEvaluation> {
  const j = config.latentDim;
  const klSum = new Float64Array(j);
  const muSum = new Float64Array(j);
  const muSquares = new Float64Array(j);
  let reconSum = 0;
  let sqErrorSum = 0;
  const count = run.testCount;
  // L samples of z multiply the decoded rows: keep a batch's decoded values bounded.
  const batchSize = Math.max(1, Math.floor(EVAL_BATCH / config.mcSamples));
  for (let start = 0, batch = 0; start < count; start += batchSize, batch++) {
    const n = Math.min(batchSize, count - start);
    const outputs = tf.tidy(() => {
      const x = tf.tensor2d(run.testPixels.subarray(start * run.pixels, (start + n) * run.pixels), [n, run.pixels]);
      const posterior = encode(model, x);
      let z = posterior.mu;
      if (posterior.logVar !== null) {
        const eps = fillNormal(
          rngFor(config.seed, Stream.testEpsilon, batch),
          new Float32Array(config.mcSamples * n * j),
        );
        z = reparameterize(posterior, tf.tensor2d(eps, [config.mcSamples * n, j]));
      }
      const target =
        config.mcSamples === 1 || posterior.logVar === null ? x : (tf.tile(x, [config.mcSamples, 1]) as tf.Tensor2D);
      const decoded = decode(model, z);
      const reconTotal = tf.div(tf.sum(modelReconstructionNll(model, decoded, target)), z.shape[0] / n);
      const kl = posterior.logVar === null ? tf.zeros([j]) : tf.sum(klPerDimension(posterior.mu, posterior.logVar), 0);
      // Squared error of the decoder's mean at the very z of the reconstruction term (an expectation under q, as the
      // distortion is; z = μ(x) for a deterministic code): no second decoder pass, which a conv decoder would feel.
      const sqError = tf.div(tf.sum(tf.squaredDifference(target, decoderMean(decoded))), z.shape[0] / n);
      return [reconTotal, kl, posterior.mu, sqError];
    });
    const [reconValues, klPerDim, mu, sqErrorValues] = await readAll(outputs);
    const recon = reconValues[0];
    reconSum += recon;
    sqErrorSum += sqErrorValues[0];
    for (let d = 0; d < j; d++) klSum[d] += klPerDim[d];
    for (let i = 0; i < n; i++) {
      for (let d = 0; d < j; d++) {
        const m = mu[i * j + d];
        muSum[d] += m;
        muSquares[d] += m * m;
      }
    }
  }
  const klPerDim = Array.from(klSum, (s) => s / count);
  // Var_x(μ_j) over the test examples (population variance): Burda et al.'s activity statistic.
  const muVariancePerDim = Array.from(muSum, (s, d) => Math.max(0, muSquares[d] / count - (s / count) ** 2));
  const kl = klPerDim.reduce((a, b) => a + b, 0);
  let loss: number | null = null;
  // The bound itself (α = β = 1) is its own series; the loss weighs it with the run's α and β when they are not 1.
  let iwae: number | null = null;
  if (config.iwaeSamples > 1) {
    iwae = await testIwaeBound(model, config, run, config.iwaeSamples);
    loss =
      config.alpha === 1 && beta === 1
        ? -iwae
        : -(await testIwaeBound(model, config, run, config.iwaeSamples, config.alpha, beta));
  } else if (!plainElbo(config)) {
    loss = config.alpha * (reconSum / count) + beta * klPerDim.reduce((a, b) => a + Math.max(config.freeBits, b), 0);
  }
  const test = { ...splitMetrics(config, beta, reconSum / count, kl, loss), iwae, sqError: sqErrorSum / count };
  return { test, klPerDim, muVariancePerDim };
}

/** What the test evaluation reads of a prepared run: the fixed test pixels. */
export type TestSplit = Pick<PreparedRun, 'testPixels' | 'testCount' | 'pixels'>;

/**
 * Mean over the test split of the IWAE bound L_k (Burda et al. 2016, eq. 8) with log w = α·log p(x|z) + β·log p(z)/q(z|x);
 * ε is fixed every epoch. With k = 1 it draws the very ε of the test ELBO (same stream, same batches when L = 1), so
 * L_1 equals the test ELBO.
 */
export async function testIwaeBound(
  model: VaeModel,
  config: ExperimentConfig,
  run: TestSplit,
  k: number,
  alpha = 1,
  beta = 1,
): Promise<number> {
  const j = config.latentDim;
  const batchSize = Math.max(1, Math.floor(EVAL_BATCH / k));
  let sum = 0;
  for (let start = 0, batch = 0; start < run.testCount; start += batchSize, batch++) {
    const n = Math.min(batchSize, run.testCount - start);
    // A stream apart from the ELBO's test ε, keyed by batch, so the bound does not depend on L.
    const rng =
      k === 1 ? rngFor(config.seed, Stream.testEpsilon, batch) : rngFor(config.seed, Stream.testEpsilon, batch, k);
    const eps = fillNormal(rng, new Float32Array(k * n * j));
    const total = tf.tidy(() => {
      const x = tf.tensor2d(run.testPixels.subarray(start * run.pixels, (start + n) * run.pixels), [n, run.pixels]);
      const { logWeights } = importanceLogWeights(model, x, tf.tensor2d(eps, [k * n, j]), alpha, beta);
      return tf.sum(iwaeBound(logWeights, n));
    });
    sum += (await readAll([total]))[0][0];
  }
  return sum / run.testCount;
}

/** Reads float tensors back together (asynchronously: synchronous reads throw on webgpu in Node) and disposes them. */
async function readAll(tensors: tf.Tensor[]): Promise<Float32Array[]> {
  try {
    return (await Promise.all(tensors.map((t) => t.data()))) as Float32Array[];
  } finally {
    tf.dispose(tensors);
  }
}

/** setImmediate in a process; a page (the app's WebGPU window, which is never throttled) has only setTimeout. */
const yieldToMessages: () => Promise<void> =
  typeof setImmediate === 'function'
    ? () => new Promise((resolve) => setImmediate(resolve))
    : () => new Promise((resolve) => setTimeout(resolve, 0));

function toBytes(values: Float32Array | Int32Array | Uint8Array, images: number, pixels: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < images; i++) {
    const image = new Uint8Array(pixels);
    for (let p = 0; p < pixels; p++) image[p] = Math.round(Math.min(1, Math.max(0, values[i * pixels + p])) * 255);
    out.push(image);
  }
  return out;
}

/** The first test inputs beside their reconstructions (mean of p(x|z) at z = μ), and decoded fixed prior draws. */
export async function epochImages(model: VaeModel, run: PreparedRun): Promise<EpochImages> {
  const n = Math.min(STRIP_SIZE, run.testCount);
  const inputs = run.testPixels.subarray(0, n * run.pixels);
  const [reconstructions, samples] = await readAll(
    tf.tidy(() => {
      const x = tf.tensor2d(inputs, [n, run.pixels]);
      return [decoderMean(decode(model, encode(model, x).mu)), decoderMean(decode(model, run.stripZ))];
    }),
  );
  return {
    width: model.shape.width,
    height: model.shape.height,
    inputs: toBytes(inputs, n, run.pixels),
    reconstructions: toBytes(reconstructions, n, run.pixels),
    // A baseline has no prior: decoding N(0, I) draws would show images that no model claims to generate.
    samples: model.config.model === 'vae' ? toBytes(samples, STRIP_SIZE, run.pixels) : [],
  };
}

function divergenceMessage(
  config: ExperimentConfig,
  epoch: number,
  batch: number | null,
  batches: number,
  values: { recon: number; kl: number },
): string {
  const where = batch === null ? `epoch ${epoch}, test evaluation` : `epoch ${epoch}, batch ${batch} of ${batches}`;
  const causes = [
    `the learning rate ${config.learningRate} may be too high for this model (try ${config.learningRate / 10})`,
  ];
  if (config.likelihood === 'gaussian' && config.decoderVariance === 'fixed' && config.gaussianVariance < 0.01) {
    causes.push(
      `the Gaussian decoder variance σ² = ${config.gaussianVariance} may be too small (its 1/(2σ²) scales the gradients; try 0.1)`,
    );
  }
  if (!config.autoencoder && !Number.isFinite(values.kl))
    causes.push('log σ² of the encoder overflowed exp(), which also points to too large steps');
  return `training diverged at ${where}: reconstruction ${values.recon}, KL ${values.kl} nats per example. Likely cause: ${causes.join('; ')}.`;
}
