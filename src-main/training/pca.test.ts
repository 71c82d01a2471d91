import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { defaultConfig, parseConfig, type ExperimentConfig } from '../../src-shared/config';
import type { EpochResult } from '../records';
import { rectanglesDataset } from '../testing/rectangles-dataset';
import { onWasm } from '../testing/wasm';
import { decode, decoderMean, encode, loadModel } from './model';
import { symmetricEigen } from '../../src-shared/latent';
import { covariance, fitPca, topEigenvectors } from './pca';
import { rngFor, Stream } from './random';
import { trainRun } from './trainer';

onWasm();

/** A random orthonormal basis (rows), by Gram–Schmidt of normal draws. */
function randomBasis(n: number, seed: number): Float64Array {
  const rng = rngFor(seed, Stream.init, 77);
  const q = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < n; k++) q[i * n + k] = rng.normal();
    for (let j = 0; j < i; j++) {
      let dot = 0;
      for (let k = 0; k < n; k++) dot += q[i * n + k] * q[j * n + k];
      for (let k = 0; k < n; k++) q[i * n + k] -= dot * q[j * n + k];
    }
    let norm = 0;
    for (let k = 0; k < n; k++) norm += q[i * n + k] ** 2;
    for (let k = 0; k < n; k++) q[i * n + k] /= Math.sqrt(norm);
  }
  return q;
}

/** A = Σ_i λ_i u_i u_iᵀ for the rows u_i of the basis. */
function withEigen(basis: Float64Array, values: number[]): Float64Array {
  const n = values.length;
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let r = 0; r < n; r++)
      for (let c = 0; c < n; c++) a[r * n + c] += values[i] * basis[i * n + r] * basis[i * n + c];
  return a;
}

const dot = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};

describe('symmetricEigen (Jacobi), as the PCA fit uses it', () => {
  it('recovers the eigenvalues and eigenvectors a matrix was built from', () => {
    const n = 6;
    const values = [9, 5, 4, 2, 0.5, 0.1];
    const basis = randomBasis(n, 1);
    const { values: found, vectors } = symmetricEigen(withEigen(basis, values), n);
    found.forEach((value, i) => {
      expect(value).toBeCloseTo(values[i], 10);
      expect(Math.abs(dot(vectors[i], basis.subarray(i * n, (i + 1) * n)))).toBeCloseTo(1, 10);
    });
  });
});

describe('topEigenvectors (subspace iteration)', () => {
  it('finds the top 3 eigenpairs of a 40×40 matrix with known spectrum, largest entry positive', async () => {
    const n = 40;
    const values = Array.from({ length: n }, (_, i) => 10 * 0.8 ** i);
    const basis = randomBasis(n, 2);
    const rng = rngFor(3, Stream.init);
    const top = await topEigenvectors(Float32Array.from(withEigen(basis, values)), n, 3, () => rng.uniform());
    expect(top).not.toBeNull();
    top!.values.forEach((v, i) => expect(v).toBeCloseTo(values[i], 4));
    for (let i = 0; i < 3; i++) {
      const found = top!.vectors.subarray(i * n, (i + 1) * n);
      expect(Math.abs(dot(found, basis.subarray(i * n, (i + 1) * n)))).toBeGreaterThan(1 - 1e-4);
      const largest = [...found].reduce((a, b) => (Math.abs(b) > Math.abs(a) ? b : a), 0);
      expect(largest).toBeGreaterThan(0);
    }
  });
});

describe('fitPca', () => {
  it('reconstructs the training data with a mean squared error equal to the discarded eigenvalues', async () => {
    const n = 400;
    const dim = 12;
    const d = 3;
    const rng = rngFor(4, Stream.init, 5);
    // Correlated data: a random linear map of normals plus an offset.
    const mix = Array.from({ length: dim * dim }, () => rng.normal() * 0.3);
    const data = new Float32Array(n * dim);
    for (let i = 0; i < n; i++) {
      const g = Array.from({ length: dim }, () => rng.normal());
      for (let k = 0; k < dim; k++) data[i * dim + k] = 0.5 + dot(g, mix.slice(k * dim, (k + 1) * dim));
    }
    const seedRng = rngFor(0, Stream.init);
    const fit = (await fitPca(data, n, dim, d, () => seedRng.uniform()))!;

    // Another way: the covariance in float64 by the textbook formula, all its eigenvalues by Jacobi.
    const mean = new Float64Array(dim);
    for (let i = 0; i < n; i++) for (let k = 0; k < dim; k++) mean[k] += data[i * dim + k] / n;
    const cov = new Float64Array(dim * dim);
    for (let i = 0; i < n; i++)
      for (let r = 0; r < dim; r++)
        for (let c = 0; c < dim; c++)
          cov[r * dim + c] += ((data[i * dim + r] - mean[r]) * (data[i * dim + c] - mean[c])) / n;
    const all = [...symmetricEigen(cov, dim).values].sort((a, b) => b - a);
    fit.eigenvalues.forEach((v, i) => expect(v).toBeCloseTo(all[i], 4));
    const discarded = all.slice(d).reduce((a, b) => a + b, 0);
    expect(fit.totalVariance - fit.eigenvalues.reduce((a, b) => a + b, 0)).toBeCloseTo(discarded, 4);

    // Project and reconstruct every example in float64: Σ_k (x − x̂)² per example, averaged.
    let sq = 0;
    for (let i = 0; i < n; i++) {
      const centred = Array.from({ length: dim }, (_, k) => data[i * dim + k] - mean[k]);
      const recon = new Float64Array(dim);
      for (let j = 0; j < d; j++) {
        const u = fit.components.subarray(j * dim, (j + 1) * dim);
        const z = dot(centred, u);
        for (let k = 0; k < dim; k++) recon[k] += z * u[k];
      }
      for (let k = 0; k < dim; k++) sq += (centred[k] - recon[k]) ** 2 / n;
    }
    expect(sq).toBeCloseTo(discarded, 4);
  });

  it('leaves no tensors behind', async () => {
    const before = tf.memory().numTensors;
    const data = Float32Array.from({ length: 50 * 8 }, (_, i) => Math.sin(i * 0.37));
    const rng = rngFor(0, Stream.init);
    await covariance(data, 50, 8);
    await fitPca(data, 50, 8, 2, () => rng.uniform());
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('the PCA baseline as a run', () => {
  const dataset = rectanglesDataset({ train: 300, test: 60 });
  const config: ExperimentConfig = parseConfig({
    ...defaultConfig,
    dataset: 'rectangles',
    model: 'pca',
    latentDim: 5,
    epochs: 10,
  });

  async function fitRun(c: ExperimentConfig): Promise<EpochResult[]> {
    const epochs: EpochResult[] = [];
    const outcome = await trainRun({ config: c, dataset, resumeFrom: null, onEpoch: (r) => void epochs.push(r) });
    expect(outcome).toEqual({ status: 'finished', epochsDone: 1 });
    return epochs;
  }

  it('is one epoch: parseConfig fixes what a closed-form fit implies', () => {
    expect(config).toMatchObject({ epochs: 1, autoencoder: true, iwaeSamples: 1, mcSamples: 1, freeBits: 0 });
  });

  it('records the reconstruction term under the Bernoulli likelihood of x̂ clipped to [ε, 1 − ε], computed by hand', async () => {
    const [epoch] = await fitRun(config);
    expect(epoch.test.kl).toBe(0);
    expect(epoch.klPerDim).toEqual([0, 0, 0, 0, 0]);
    expect(epoch.images.samples).toEqual([]);
    expect(epoch.checkpoint?.epoch).toBe(1);
    expect(epoch.checkpoint?.optimizer).toBeNull();

    // By hand from the checkpoint's weights: z = x W_e + b_e, x̂ = z W_d + b_d, clip, Bernoulli NLL, mean over test.
    const w = new Map(epoch.checkpoint!.weights.map((p) => [p.name, p.data]));
    const pixels = 144;
    const d = 5;
    const test = dataset.test;
    let nll = 0;
    let sq = 0;
    for (let i = 0; i < test.count; i++) {
      const x = Array.from(test.images.subarray(i * pixels, (i + 1) * pixels), (v) => v / 255);
      const z = Array.from(
        { length: d },
        (_, j) => w.get('enc/mu/b')![j] + x.reduce((s, xk, k) => s + xk * w.get('enc/mu/W')![k * d + j], 0),
      );
      for (let k = 0; k < pixels; k++) {
        const raw = w.get('dec/out/b')![k] + z.reduce((s, zj, j) => s + zj * w.get('dec/out/W')![j * pixels + k], 0);
        const p = Math.min(1 - 1e-4, Math.max(1e-4, raw));
        nll -= (x[k] * Math.log(p) + (1 - x[k]) * Math.log(1 - p)) / test.count;
        sq += (x[k] - p) ** 2 / test.count;
      }
    }
    expect(epoch.test.recon).toBeCloseTo(nll, 1);
    expect(epoch.test.sqError).toBeCloseTo(sq, 2);
    expect(epoch.test.elbo).toBeCloseTo(-epoch.test.recon, 5);
  });

  it('whitens the codes: unit variance on the training images; reconstructions stay in the pixel range', async () => {
    const [epoch] = await fitRun(config);
    const model = loadModel(config, { height: 12, width: 12 }, epoch.checkpoint!.weights);
    const x = tf.tensor2d(
      Float32Array.from(dataset.train.images, (v) => v / 255),
      [300, 144],
    );
    const z = encode(model, x).mu;
    const variance = tf.moments(z, 0).variance;
    for (const v of await variance.data()) expect(v).toBeCloseTo(1, 3);
    // Reconstructions are images in [ε, 1 − ε], the same as the stored strip's.
    const recon = decoderMean(decode(model, z));
    expect(tf.min(recon).dataSync()[0]).toBeGreaterThanOrEqual(1e-4 - 1e-7);
    expect(tf.max(recon).dataSync()[0]).toBeLessThanOrEqual(1 - 1e-4 + 1e-7);
    tf.dispose([x, z, variance, recon]);
  });

  it('reconstructs better with more components', async () => {
    const errors: number[] = [];
    for (const latentDim of [1, 3, 8]) errors.push((await fitRun({ ...config, latentDim }))[0].test.sqError!);
    expect(errors[0]).toBeGreaterThan(errors[1]);
    expect(errors[1]).toBeGreaterThan(errors[2]);
  });
});

describe('the linear autoencoder baseline', () => {
  it('trains a linear encoder and decoder with no KL term and no prior samples', async () => {
    const dataset = rectanglesDataset({ train: 300, test: 60 });
    const config = parseConfig({
      ...defaultConfig,
      dataset: 'rectangles',
      model: 'linear-ae',
      latentDim: 4,
      batchSize: 50,
      epochs: 3,
      learningRate: 1e-2,
      iwaeSamples: 5,
    });
    expect(config).toMatchObject({ autoencoder: true, iwaeSamples: 1, epochs: 3 });
    const epochs: EpochResult[] = [];
    const outcome = await trainRun({ config, dataset, resumeFrom: null, onEpoch: (r) => void epochs.push(r) });
    expect(outcome.status).toBe('finished');
    expect(epochs[2].checkpoint!.weights.map((w) => [w.name, w.shape])).toEqual([
      ['enc/mu/W', [144, 4]],
      ['enc/mu/b', [4]],
      ['dec/out/W', [4, 144]],
      ['dec/out/b', [144]],
    ]);
    for (const epoch of epochs) {
      expect(epoch.test.kl).toBe(0);
      expect(epoch.images.samples).toEqual([]);
    }
    expect(epochs[2].test.recon).toBeLessThan(epochs[0].test.recon);
  });
});
