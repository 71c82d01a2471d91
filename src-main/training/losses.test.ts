import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src-shared/config';
import {
  bernoulliNll,
  estimateNll,
  estimateNllWith,
  gaussianNll,
  klPerDimension,
  klToStandardNormal,
  reconstructionNll,
  type ImportanceSamplingModel,
} from './losses';
import { buildModel, decode, disposeModel, encode } from './model';
import { rngFor, Stream } from './random';
import { onWasm } from '../testing/wasm';

onWasm();

const values = (t: tf.Tensor): number[] => Array.from(t.dataSync());

describe('closed-form KL to N(0, I)', () => {
  it('agrees with a Monte-Carlo estimate of E_q[log q(z) − log p(z)] within its sampling error', () => {
    const mu = [0.5, -1, 0.2, 2];
    const logVar = [-0.5, 0.3, -2, 1];
    const closed = tf.tidy(() => klToStandardNormal(tf.tensor2d([mu]), tf.tensor2d([logVar])).dataSync()[0]);
    const rng = rngFor(123, Stream.epsilon);
    const n = 200_000;
    let sum = 0;
    let sumSq = 0;
    for (let i = 0; i < n; i++) {
      let logRatio = 0;
      for (let j = 0; j < mu.length; j++) {
        const eps = rng.normal();
        const z = mu[j] + Math.exp(logVar[j] / 2) * eps;
        // log q − log p per dimension; the ½ log 2π terms cancel.
        logRatio += -0.5 * logVar[j] - 0.5 * eps * eps + 0.5 * z * z;
      }
      sum += logRatio;
      sumSq += logRatio * logRatio;
    }
    const mean = sum / n;
    const standardError = Math.sqrt((sumSq / n - mean * mean) / n);
    expect(Math.abs(closed - mean)).toBeLessThan(4 * standardError);
    // Sanity of the test itself: the error bar is tight enough to catch a wrong constant.
    expect(standardError).toBeLessThan(0.02);
  });

  it('is zero for q = p and splits into per-dimension terms that sum to the total', () => {
    tf.tidy(() => {
      expect(values(klToStandardNormal(tf.zeros([2, 3]), tf.zeros([2, 3])))).toEqual([0, 0]);
      const mu = tf.tensor2d([[1, 0]]);
      const logVar = tf.tensor2d([[0, Math.log(2)]]);
      const perDim = values(klPerDimension(mu, logVar));
      expect(perDim[0]).toBeCloseTo(0.5, 6);
      expect(perDim[1]).toBeCloseTo(0.5 * (2 - 1 - Math.log(2)), 6);
      expect(values(klToStandardNormal(mu, logVar))[0]).toBeCloseTo(perDim[0] + perDim[1], 6);
    });
  });
});

describe('reconstruction negative log-likelihoods (nats per example, summed over pixels)', () => {
  it('Bernoulli on logits matches hand-computed cross-entropies', () => {
    tf.tidy(() => {
      const logits = tf.tensor2d([
        [0, 2, -3],
        [1, 100, -100],
      ]);
      const x = tf.tensor2d([
        [1, 0, 1],
        [0.25, 1, 0],
      ]);
      const [first, second] = values(bernoulliNll(logits, x));
      // −log σ(0) + −log(1 − σ(2)) + −log σ(−3) = log 2 + log(1 + e²) + log(1 + e³)
      expect(first).toBeCloseTo(Math.log(2) + Math.log(1 + Math.exp(2)) + Math.log(1 + Math.exp(3)), 4);
      // x = 0.25 at l = 1: −(0.25 log σ(1) + 0.75 log σ(−1)); saturated logits on the right side cost ≈ 0.
      const softplus = (v: number) => Math.log(1 + Math.exp(v));
      expect(second).toBeCloseTo(0.25 * softplus(-1) + 0.75 * softplus(1), 4);
    });
  });

  it('Bernoulli stays finite and exact for extreme wrong logits', () => {
    tf.tidy(() => {
      expect(values(bernoulliNll(tf.tensor2d([[-100, 100]]), tf.tensor2d([[1, 0]])))[0]).toBeCloseTo(200, 3);
    });
  });

  it('Bernoulli hand-written gradient equals autodiff of the formula', () => {
    tf.tidy(() => {
      const logits = tf.randomNormal([4, 6], 0, 3, 'float32', 9);
      const x = tf.randomUniform([4, 6], 0, 1, 'float32', 10) as tf.Tensor2D;
      const w = tf.tensor1d([1, -2, 0.5, 3]);
      const plain = (l: tf.Tensor) =>
        tf.sum(tf.add(tf.sub(tf.relu(l), tf.mul(l, x)), tf.log1p(tf.exp(tf.neg(tf.abs(l))))), 1);
      const ours = tf.grad((l: tf.Tensor) => tf.sum(tf.mul(bernoulliNll(l as tf.Tensor2D, x), w)))(logits);
      const reference = tf.grad((l: tf.Tensor) => tf.sum(tf.mul(plain(l), w)))(logits);
      expect(tf.max(tf.abs(tf.sub(ours, reference))).dataSync()[0]).toBeLessThan(1e-5);
    });
  });

  it('Gaussian with fixed σ² includes the D/2 · log(2πσ²) constant', () => {
    tf.tidy(() => {
      const nll = values(gaussianNll(tf.tensor2d([[0.2, 0.8]]), tf.tensor2d([[0, 1]]), 0.5))[0];
      // (0.2² + 0.2²)/(2 · 0.5) + (2/2) · log(2π · 0.5)
      expect(nll).toBeCloseTo(0.08 + Math.log(Math.PI), 5);
      const perfect = values(gaussianNll(tf.tensor2d([[0.3, 0.3, 0.3]]), tf.tensor2d([[0.3, 0.3, 0.3]]), 0.1))[0];
      expect(perfect).toBeCloseTo(1.5 * Math.log(2 * Math.PI * 0.1), 5);
    });
  });

  it('reconstructionNll picks the likelihood from the config and reads Gaussian means through a sigmoid', () => {
    tf.tidy(() => {
      const logits = tf.tensor2d([[0, 0]]);
      const x = tf.tensor2d([[1, 0]]);
      expect(values(reconstructionNll({ likelihood: 'bernoulli', gaussianVariance: 1 }, logits, x))[0]).toBeCloseTo(
        2 * Math.log(2),
        5,
      );
      // mean sigmoid(0) = 0.5 → (0.25 + 0.25)/(2·1) + log(2π)
      expect(values(reconstructionNll({ likelihood: 'gaussian', gaussianVariance: 1 }, logits, x))[0]).toBeCloseTo(
        0.25 + Math.log(2 * Math.PI),
        5,
      );
    });
  });

  it('refuses a non-positive Gaussian variance, naming it', () => {
    tf.tidy(() => {
      expect(() => gaussianNll(tf.zeros([1, 2]), tf.zeros([1, 2]), 0)).toThrow(/σ² = 0/);
    });
  });
});

/**
 * A linear-Gaussian model: p(z) = N(0, I), p(x|z) = N(Wz + b, σ²I), so p(x) = N(b, WWᵀ + σ²I) in closed form.
 * W's columns are orthogonal, so the exact posterior N(S Wᵀ(x − b)/σ², S) with S = (I + WᵀW/σ²)⁻¹ is diagonal.
 */
describe('importance-sampled log-likelihood', () => {
  const W = [
    [1, 0],
    [1, 0],
    [0, 2],
  ];
  const b = [0.1, -0.2, 0.3];
  const variance = 0.5;
  const S = [1 / (1 + 2 / variance), 1 / (1 + 4 / variance)];
  const xs = [
    [0.5, 1.0, -0.7],
    [-1.2, 0.4, 2.5],
  ];

  async function withBatch<T>(rows: number[][], f: (x: tf.Tensor2D) => Promise<T>): Promise<T> {
    const x = tf.tensor2d(rows);
    try {
      return await f(x);
    } finally {
      x.dispose();
    }
  }

  /** log N(x; b, WWᵀ + σ²I) by Cholesky. */
  function exactLogPx(x: number[]): number {
    const d = x.length;
    const C = Array.from({ length: d }, (_, i) =>
      Array.from({ length: d }, (_, j) => W[i][0] * W[j][0] + W[i][1] * W[j][1] + (i === j ? variance : 0)),
    );
    const L = C.map((row) => row.map(() => 0));
    for (let i = 0; i < d; i++) {
      for (let j = 0; j <= i; j++) {
        let s = C[i][j];
        for (let k = 0; k < j; k++) s -= L[i][k] * L[j][k];
        L[i][j] = i === j ? Math.sqrt(s) : s / L[j][j];
      }
    }
    const r = x.map((v, i) => v - b[i]);
    const y: number[] = [];
    for (let i = 0; i < d; i++) {
      let s = r[i];
      for (let k = 0; k < i; k++) s -= L[i][k] * y[k];
      y.push(s / L[i][i]);
    }
    const logDet = 2 * L.reduce((acc, row, i) => acc + Math.log(row[i]), 0);
    return -0.5 * (d * Math.log(2 * Math.PI) + logDet + y.reduce((a, v) => a + v * v, 0));
  }

  function linearGaussian(posterior: 'exact' | 'prior'): ImportanceSamplingModel {
    return {
      latentDim: 2,
      encode: (x) =>
        tf.tidy(() => {
          const n = x.shape[0];
          if (posterior === 'prior')
            return { mu: tf.zeros([n, 2]) as tf.Tensor2D, logVar: tf.zeros([n, 2]) as tf.Tensor2D };
          const projected = tf.matMul(tf.sub(x, tf.tensor1d(b)), tf.tensor2d(W)); // (x − b)ᵀW, [N, 2]
          return {
            mu: tf.mul(projected, tf.tensor1d(S.map((s) => s / variance))) as tf.Tensor2D,
            logVar: tf.tile(tf.tensor2d([S.map(Math.log)]), [n, 1]) as tf.Tensor2D,
          };
        }),
      logLikelihood: (z, x) =>
        tf.neg(
          gaussianNll(tf.add(tf.matMul(z, tf.tensor2d(W), false, true), tf.tensor1d(b)) as tf.Tensor2D, x, variance),
        ),
    };
  }

  it('is exact for every k when q is the true posterior (zero-variance weights), across chunks', async () => {
    const exact = xs.map(exactLogPx);
    const nll = await withBatch(xs, (x) => estimateNllWith(linearGaussian('exact'), x, 7, { maxChunkValues: 20 }));
    nll.forEach((v, i) => expect(-v).toBeCloseTo(exact[i], 4));
  });

  it('converges to the exact value with the prior as a generic proposal', async () => {
    const exact = xs.map(exactLogPx);
    const few = await withBatch(xs, (x) => estimateNllWith(linearGaussian('prior'), x, 5, { seed: 1 }));
    const many = await withBatch(xs, (x) => estimateNllWith(linearGaussian('prior'), x, 50_000, { seed: 1 }));
    many.forEach((v, i) => expect(Math.abs(-v - exact[i])).toBeLessThan(0.02));
    // With 5 samples the estimate is visibly off for the outlying second example: the test can tell them apart.
    expect(Math.abs(-few[1] - exact[1])).toBeGreaterThan(Math.abs(-many[1] - exact[1]));
  });

  it('on a VAE gives a tighter bound than the single-sample ELBO, and leaks no tensors', async () => {
    const model = buildModel({
      config: { ...defaultConfig, hiddenSizes: [16], latentDim: 3 },
      shape: { height: 4, width: 4 },
      seed: 3,
    });
    const x = tf.tensor2d(
      Array.from({ length: 5 * 16 }, (_, i) => ((i * 7) % 3 === 0 ? 1 : 0)),
      [5, 16],
    );
    const before = tf.memory().numTensors;
    const nll = await estimateNll(model, x, 2000, { seed: 2 });
    expect(tf.memory().numTensors).toBe(before);
    const negElbo = tf.tidy(() => {
      const q = encode(model, x);
      const recon = reconstructionNll(model.config, decode(model, q.mu), x);
      return values(tf.add(recon, klToStandardNormal(q.mu, q.logVar!)));
    });
    const mean = (a: ArrayLike<number>) => Array.from(a).reduce((s, v) => s + v, 0) / a.length;
    expect(nll.every(Number.isFinite)).toBe(true);
    expect(mean(nll)).toBeLessThan(mean(negElbo));
    x.dispose();
    disposeModel(model);
  });

  it('refuses an autoencoder and a bad k, saying why', () => {
    const model = buildModel({
      config: { ...defaultConfig, hiddenSizes: [8], latentDim: 2, autoencoder: true },
      shape: { height: 2, width: 2 },
      seed: 0,
    });
    const x = tf.zeros([1, 4]) as tf.Tensor2D;
    expect(() => estimateNll(model, x, 10)).toThrow(/autoencoder/);
    disposeModel(model);
    expect(() => estimateNllWith(linearGaussian('exact'), x, 0)).toThrow(/k = 0/);
    x.dispose();
  });
});
