import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { defaultConfig, type ExperimentConfig } from '../../src-shared/config';
import type { CheckpointPayload, EpochResult } from '../records';
import { rectanglesDataset } from '../testing/rectangles-dataset';
import { trainRun, TrainingError, type BatchProgress, type TrainOutcome } from './trainer';
import { onWasm } from '../testing/wasm';

onWasm();

const dataset = rectanglesDataset({ train: 600, test: 100 });

const small: ExperimentConfig = {
  ...defaultConfig,
  dataset: 'rectangles',
  hiddenSizes: [64],
  latentDim: 4,
  batchSize: 50,
  epochs: 3,
  learningRate: 3e-3,
};

interface Recorded {
  outcome: TrainOutcome;
  epochs: EpochResult[];
  batches: BatchProgress[];
}

async function train(
  config: ExperimentConfig,
  more: {
    resumeFrom?: CheckpointPayload;
    stopAfterEpoch?: number;
    stopAfterBatches?: number;
    batchIntervalMs?: number;
  } = {},
): Promise<Recorded> {
  const epochs: EpochResult[] = [];
  const batches: BatchProgress[] = [];
  let batchesSeen = 0;
  const outcome = await trainRun({
    config,
    dataset,
    resumeFrom: more.resumeFrom ?? null,
    batchIntervalMs: more.batchIntervalMs ?? 0,
    onBatch: (b) => batches.push(b),
    onEpoch: (r) => {
      epochs.push(r);
    },
    shouldStop: () => {
      batchesSeen++;
      if (more.stopAfterBatches !== undefined && batchesSeen >= more.stopAfterBatches) return true;
      return (
        more.stopAfterEpoch !== undefined && epochs.length > 0 && epochs[epochs.length - 1].epoch >= more.stopAfterEpoch
      );
    },
  });
  return { outcome, epochs, batches };
}

/** The numbers of an epoch, without timings (which differ run to run). */
function numbers(r: EpochResult) {
  return {
    epoch: r.epoch,
    beta: r.beta,
    train: r.train,
    test: r.test,
    klPerDim: r.klPerDim,
    muVariancePerDim: r.muVariancePerDim,
    images: r.images,
  };
}

describe('trainRun', () => {
  it('lowers the loss, reports consistent metrics, images and checkpoints, and leaks no tensors', async () => {
    const before = tf.memory().numTensors;
    const { outcome, epochs, batches } = await train({ ...small, epochs: 4, checkpointEvery: 3 });
    expect(tf.memory().numTensors).toBe(before);
    expect(outcome).toEqual({ status: 'finished', epochsDone: 4 });
    expect(epochs.map((e) => e.epoch)).toEqual([1, 2, 3, 4]);
    expect(epochs[3].train.loss).toBeLessThan(epochs[0].train.loss * 0.9);
    expect(epochs[3].test.loss).toBeLessThan(epochs[0].test.loss);
    for (const e of epochs) {
      for (const m of [e.train, e.test]) {
        expect(m.elbo).toBeCloseTo(-(m.recon + m.kl), 6);
        expect(m.loss).toBeCloseTo(m.recon + m.kl, 6);
        expect(m.betaKl).toBeCloseTo(m.kl, 6);
      }
      expect(e.klPerDim).toHaveLength(4);
      expect(e.klPerDim.reduce((a, b) => a + b, 0)).toBeCloseTo(e.test.kl, 4);
      expect(e.activeUnits).toBe(e.muVariancePerDim.filter((v) => v > 0.01).length);
      expect(e.images.inputs).toHaveLength(8);
      expect(e.images.reconstructions).toHaveLength(8);
      expect(e.images.samples).toHaveLength(8);
      expect(e.images.samples[0]).toHaveLength(144);
      expect(e.examplesPerSec).toBeGreaterThan(0);
    }
    // Tensor count stays flat from epoch to epoch.
    expect(new Set(epochs.map((e) => e.numTensors)).size).toBe(1);
    // Checkpoints on epochs divisible by checkpointEvery, and always on the last.
    expect(epochs.map((e) => e.checkpoint?.epoch ?? null)).toEqual([null, null, 3, 4]);
    expect(epochs[3].checkpoint!.optimizer!.find((a) => a.name === 'adam/step')!.data[0]).toBe(4 * 12);
    // Batch progress: running means, batch numbers 1…12 per epoch.
    expect(batches.filter((b) => b.epoch === 1).map((b) => b.batch)).toEqual(
      Array.from({ length: 12 }, (_, i) => i + 1),
    );
    const lastOfFirst = batches.find((b) => b.epoch === 1 && b.batch === 12)!;
    expect(lastOfFirst.recon).toBeCloseTo(epochs[0].train.recon, 6);
  });

  it('gives identical numbers for the same seed and different ones for another seed', async () => {
    const config = { ...small, epochs: 2, binarization: 'dynamic' as const, trainSubset: 400 };
    const a = await train(config);
    const b = await train(config);
    const c = await train({ ...config, seed: 1 });
    expect(a.epochs.map(numbers)).toEqual(b.epochs.map(numbers));
    expect(c.epochs[1].train.loss).not.toBe(a.epochs[1].train.loss);
  });

  it('resumed from a checkpoint, continues exactly as the uninterrupted run', async () => {
    // Every random stream in play: dynamic binarization, L = 2 samples of z, a β warm-up, a shuffled subset.
    const config: ExperimentConfig = {
      ...small,
      epochs: 3,
      binarization: 'dynamic',
      mcSamples: 2,
      betaSchedule: 'linear',
      betaWarmupEpochs: 3,
      trainSubset: 500,
    };
    const whole = await train(config);
    const interrupted = await train(config, { stopAfterEpoch: 2 });
    expect(interrupted.outcome).toEqual({ status: 'stopped', epochsDone: 2 });
    const checkpoint = interrupted.epochs[1].checkpoint!;
    expect(checkpoint.epoch).toBe(2);
    const resumed = await train(config, { resumeFrom: checkpoint });
    expect(resumed.outcome).toEqual({ status: 'finished', epochsDone: 3 });
    expect(resumed.epochs.map((e) => e.epoch)).toEqual([3]);
    expect(numbers(resumed.epochs[0])).toEqual(numbers(whole.epochs[2]));
    expect(resumed.epochs[0].checkpoint!.weights).toEqual(whole.epochs[2].checkpoint!.weights);
    expect(resumed.epochs[0].beta).toBeCloseTo(1, 12);
  });

  it('stops after the current batch when asked, without an epoch result', async () => {
    const { outcome, epochs, batches } = await train(small, { stopAfterBatches: 3 });
    expect(outcome).toEqual({ status: 'stopped', epochsDone: 0 });
    expect(epochs).toHaveLength(0);
    expect(batches).toHaveLength(3);
  });

  it('reports divergence as a failure naming the epoch and a likely cause, with no checkpoint for that epoch', async () => {
    // Steps of size ~1 through four ReLU layers overflow float32 within a few batches: two batches per epoch here,
    // so the first epoch completes and a later one fails.
    const diverging: ExperimentConfig = {
      ...small,
      epochs: 5,
      hiddenSizes: [256, 256, 256, 256],
      learningRate: 1,
      likelihood: 'gaussian',
      gaussianVariance: 1e-6,
      trainSubset: 100,
    };
    const { outcome, epochs } = await train(diverging);
    expect(outcome.status).toBe('failed');
    if (outcome.status !== 'failed') return;
    expect(outcome.epoch).toBeGreaterThan(1);
    expect(epochs.map((e) => e.epoch)).toEqual(Array.from({ length: outcome.epoch - 1 }, (_, i) => i + 1));
    expect(outcome.message).toMatch(new RegExp(`epoch ${outcome.epoch}\\b`));
    expect(outcome.message).toMatch(/learning rate 1 may be too high/);
    expect(outcome.message).toMatch(/σ² = 0\.000001 may be too small/);
    expect(epochs.every((e) => e.epoch < outcome.epoch)).toBe(true);
  });

  it('autoencoder: KL and β·KL reported as 0, loss = α·recon', async () => {
    const { outcome, epochs } = await train({ ...small, epochs: 1, autoencoder: true, beta: 4, alpha: 2 });
    expect(outcome.status).toBe('finished');
    const e = epochs[0];
    expect(e.beta).toBe(0);
    for (const m of [e.train, e.test]) {
      expect(m.kl).toBe(0);
      expect(m.betaKl).toBe(0);
      expect(m.loss).toBeCloseTo(2 * m.recon, 6);
    }
    expect(e.klPerDim.every((v) => v === 0)).toBe(true);
  });

  it('trains the conv architecture', async () => {
    const { outcome, epochs } = await train({
      ...small,
      architecture: 'conv',
      convChannels: [4, 8],
      epochs: 2,
      trainSubset: 200,
    });
    expect(outcome.status).toBe('finished');
    expect(epochs[1].train.loss).toBeLessThan(epochs[0].train.loss);
    expect(Number.isFinite(epochs[1].test.elbo)).toBe(true);
  });

  it('conv: the same seed gives identical numbers, and a resumed run continues exactly', async () => {
    // The conv layers run through Conv2D kernels that cache packed filters: repeat runs and resumes must still agree.
    const config: ExperimentConfig = {
      ...small,
      architecture: 'conv',
      convChannels: [4, 8],
      epochs: 2,
      trainSubset: 200,
      binarization: 'dynamic',
    };
    const whole = await train(config);
    const again = await train(config);
    expect(again.epochs.map(numbers)).toEqual(whole.epochs.map(numbers));
    const interrupted = await train(config, { stopAfterEpoch: 1 });
    const resumed = await train(config, { resumeFrom: interrupted.epochs[0].checkpoint! });
    expect(numbers(resumed.epochs[0])).toEqual(numbers(whole.epochs[1]));
    expect(resumed.epochs[0].checkpoint!.weights).toEqual(whole.epochs[1].checkpoint!.weights);
  });

  it('throttles batch messages but always reports an epoch’s last batch', async () => {
    const { batches } = await train({ ...small, epochs: 2 }, { batchIntervalMs: 60_000 });
    expect(batches.map((b) => `${b.epoch}:${b.batch}`)).toEqual(['1:1', '1:12', '2:1', '2:12']);
  });

  it('refuses inputs that do not fit, naming the value', async () => {
    await expect(trainRun({ config: { ...small, trainSubset: 601 }, dataset, resumeFrom: null })).rejects.toThrow(
      /trainSubset = 601 exceeds the 600 training examples/,
    );
    await expect(
      trainRun({ config: small, dataset, resumeFrom: { epoch: 3, weights: [], optimizer: null } }),
    ).rejects.toThrow(TrainingError);
    await expect(
      trainRun({ config: { ...small, epochs: 5 }, dataset, resumeFrom: { epoch: 2, weights: [], optimizer: null } }),
    ).rejects.toThrow(/cannot resume: checkpoint has no weight 'enc\/dense0\/W'/);
  });
});
