import { describe, expect, it } from 'vitest';
import { defaultConfig, type ExperimentConfig } from '../../src-shared/config';
import type { EpochResult } from '../records';
import { rectanglesDataset } from '../testing/rectangles-dataset';
import { onWasm } from '../testing/wasm';
import { gatherExamples, testIndices } from './data';
import * as tf from '@tensorflow/tfjs';
import { buildModel, decode, decoderMean, disposeModel, encode } from './model';
import { evaluateTest, testIwaeBound, trainRun } from './trainer';

onWasm();

const dataset = rectanglesDataset({ train: 400, test: 80 });
const config: ExperimentConfig = {
  ...defaultConfig,
  dataset: 'rectangles',
  hiddenSizes: [32],
  latentDim: 3,
  batchSize: 50,
  epochs: 2,
  learningRate: 3e-3,
};
const split = {
  testPixels: gatherExamples(dataset.test, testIndices(dataset.test.count, null), { kind: 'intensity' }),
  testCount: dataset.test.count,
  pixels: 144,
};

describe('the test IWAE bound L_k', () => {
  it('equals the test ELBO for k = 1 (the same ε, within the noise of the KL estimate) and lies above it for k = 5 on the same model', async () => {
    const model = buildModel({ config, shape: { height: 12, width: 12 }, seed: 3 });
    try {
      // L_1 = log p(x|z) + log p(z) − log q(z|x) at the ELBO's own ε: the same reconstruction term, the KL as its
      // one-sample estimate, so equal to the ELBO up to that estimate's noise, which averages out over ε streams.
      const gaps: number[] = [];
      for (let seed = 0; seed < 8; seed++) {
        const { test } = await evaluateTest(model, { ...config, seed }, split, 1);
        const l1 = await testIwaeBound(model, { ...config, seed }, split, 1);
        expect(Math.abs(l1 - test.elbo)).toBeLessThan(0.2);
        gaps.push(l1 - test.elbo);
      }
      expect(Math.abs(gaps.reduce((a, b) => a + b, 0) / gaps.length)).toBeLessThan(0.03);
      const { test } = await evaluateTest(model, config, split, 1);
      const l5 = await testIwaeBound(model, config, split, 5);
      const l50 = await testIwaeBound(model, config, split, 50);
      // Jensen: E[log mean w] rises with k; different ε give noise of a few tenths of a nat on 80 examples.
      expect(l5).toBeGreaterThan(test.elbo - 0.5);
      expect(l50).toBeGreaterThan(l5 - 0.5);
    } finally {
      disposeModel(model);
    }
  });

  it('is recorded per epoch as its own series for a run with k > 1, and not for k = 1', async () => {
    const record = async (c: ExperimentConfig): Promise<EpochResult[]> => {
      const epochs: EpochResult[] = [];
      await trainRun({ config: c, dataset, resumeFrom: null, onEpoch: (r) => void epochs.push(r) });
      return epochs;
    };
    const iwae = await record({ ...config, iwaeSamples: 5 });
    expect(iwae).toHaveLength(2);
    for (const epoch of iwae) {
      expect(epoch.test.iwae).toEqual(expect.any(Number));
      expect(epoch.test.iwae!).toBeGreaterThan(epoch.test.elbo - 0.5);
      // α = β = 1: the loss is −L_k itself.
      expect(epoch.test.loss).toBeCloseTo(-epoch.test.iwae!, 4);
      expect(epoch.train.iwae ?? null).toBeNull();
    }
    const plain = await record({ ...config, epochs: 1 });
    expect(plain[0].test.iwae).toBeNull();
    expect(plain[0].test.sqError).toBeGreaterThan(0);
  });
});

describe('the squared error per image', () => {
  it('is Σ(x − x̂)² of the decoder mean at z = μ(x) for a deterministic code, averaged over the test images', async () => {
    const ae = { ...config, autoencoder: true };
    const model = buildModel({ config: ae, shape: { height: 12, width: 12 }, seed: 5 });
    try {
      const { test } = await evaluateTest(model, ae, split, 0);
      // Another way: the reconstructions read back, the sum taken in float64 here.
      const x = tf.tensor2d(split.testPixels, [split.testCount, split.pixels]);
      const recon = decoderMean(decode(model, encode(model, x).mu));
      const values = await recon.data();
      tf.dispose([x, recon]);
      let sum = 0;
      for (let i = 0; i < values.length; i++) sum += (split.testPixels[i] - values[i]) ** 2;
      expect(test.sqError).toBeCloseTo(sum / split.testCount, 3);
    } finally {
      disposeModel(model);
    }
  });
});
