import { describe, expect, it } from 'vitest';
import type { ExperimentConfig } from '../../src-shared/config';
import type { CheckpointPayload, EpochResult } from '../records';
import { rectanglesDataset } from '../testing/rectangles-dataset';
import { trainRun, TrainingError, type TrainOutcome } from './trainer';
import { onWasm, rectanglesConfig } from '../testing/wasm';

onWasm();

const dataset = rectanglesDataset({ train: 300, test: 60 });

const small: ExperimentConfig = rectanglesConfig();

async function train(
  config: ExperimentConfig,
  resumeFrom: CheckpointPayload | null = null,
  stopAfterEpoch = Infinity,
): Promise<{ outcome: TrainOutcome; epochs: EpochResult[] }> {
  const epochs: EpochResult[] = [];
  const outcome = await trainRun({
    config,
    dataset,
    resumeFrom,
    batchIntervalMs: 0,
    onEpoch: (r) => {
      epochs.push(r);
    },
    shouldStop: () => epochs.length > 0 && epochs[epochs.length - 1].epoch >= stopAfterEpoch,
  });
  return { outcome, epochs };
}

const numbers = (r: EpochResult) => ({ beta: r.beta, train: r.train, test: r.test, klPerDim: r.klPerDim });

describe('training with the objectives beyond the ELBO', () => {
  it('IWAE (k = 5): the loss is −L_5, at or above the ELBO on the test split; recon, KL and ELBO keep their meaning', async () => {
    const { outcome, epochs } = await train({ ...small, iwaeSamples: 5 });
    expect(outcome.status).toBe('finished');
    for (const e of epochs) {
      expect(e.test.elbo).toBeCloseTo(-(e.test.recon + e.test.kl), 6);
      // L_5 ≥ ELBO in expectation; on 60 examples with fixed ε the gap is far larger than the noise.
      expect(-e.test.loss).toBeGreaterThan(e.test.elbo);
      expect(-e.train.loss).toBeGreaterThan(e.train.elbo);
    }
    // No tensor leaks from the bound's extra test pass.
    expect(epochs[1].numTensors).toBe(epochs[0].numTensors);
  });

  it('free bits: the loss counts max(λ, KL_j) per dimension, so it is never below recon + KL', async () => {
    const { epochs } = await train({ ...small, freeBits: 0.5 });
    const e = epochs[epochs.length - 1];
    const byHand = e.test.recon + e.klPerDim.reduce((a, k) => a + Math.max(0.5, k), 0);
    expect(e.test.loss).toBeCloseTo(byHand, 4);
    expect(e.train.loss).toBeGreaterThanOrEqual(e.train.recon + e.train.kl - 1e-4);
  });

  it('the cyclical β schedule sets the β of each epoch', async () => {
    const { epochs } = await train({
      ...small,
      epochs: 4,
      betaSchedule: 'cyclical',
      betaCycles: 2,
      betaCycleRatio: 0.5,
    });
    expect(epochs.map((e) => e.beta)).toEqual([0, 1, 0, 1]);
  });

  it('a learned-variance decoder checkpoints its σ² and resumes exactly', async () => {
    const config: ExperimentConfig = {
      ...small,
      epochs: 3,
      likelihood: 'gaussian',
      decoderVariance: 'learned-per-pixel',
      init: 'pytorch',
    };
    const whole = await train(config);
    expect(whole.outcome.status).toBe('finished');
    const weights = whole.epochs[2].checkpoint!.weights;
    const logVar = weights.find((w) => w.name === 'dec/logvar')!;
    expect(logVar.shape).toEqual([dataset.train.height * dataset.train.width]);
    // It moved from its start, log 0.1.
    expect(Array.from(logVar.data).some((v) => Math.abs(v - Math.log(0.1)) > 1e-3)).toBe(true);
    const interrupted = await train(config, null, 2);
    const resumed = await train(config, interrupted.epochs[1].checkpoint!);
    expect(numbers(resumed.epochs[0])).toEqual(numbers(whole.epochs[2]));
    expect(resumed.epochs[0].checkpoint!.weights).toEqual(weights);
    expect(whole.epochs[2].numTensors).toBe(whole.epochs[1].numTensors);
  });

  it('refuses combinations that do not fit together, naming the values', async () => {
    await expect(train({ ...small, iwaeSamples: 5, mcSamples: 2 })).rejects.toThrow(
      /iwaeSamples = 5 and mcSamples = 2/,
    );
    await expect(train({ ...small, iwaeSamples: 5, freeBits: 1 })).rejects.toThrow(TrainingError);
    await expect(train({ ...small, iwaeSamples: 5, autoencoder: true })).rejects.toThrow(/plain autoencoder/);
  });
});
