import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src-shared/config';
import {
  freeBitsKl,
  gaussianNll,
  gaussianNllLearned,
  importanceLogWeights,
  iwaeBound,
  klPerDimension,
  modelReconstructionNll,
} from './losses';
import { buildModel, decode, decoderLogVariance, disposeModel, encode, paramSpecs, type ModelConfig } from './model';
import { fillNormal, rngFor, Stream } from './random';
import { onWasm } from '../testing/wasm';

onWasm();

const values = (t: tf.Tensor): number[] => Array.from(t.dataSync());
const shape = { height: 4, width: 4 };
const small: ModelConfig = { ...defaultConfig, hiddenSizes: [8], latentDim: 3 };

/** A few fixed images in [0, 1]. */
function images(n: number): tf.Tensor2D {
  const rng = rngFor(7, Stream.shuffle);
  const data = new Float32Array(n * 16);
  for (let i = 0; i < data.length; i++) data[i] = rng.uniform() < 0.4 ? 1 : 0;
  return tf.tensor2d(data, [n, 16]);
}

function normals(seed: number, rows: number, cols: number): tf.Tensor2D {
  return tf.tensor2d(fillNormal(rngFor(seed, Stream.epsilon), new Float32Array(rows * cols)), [rows, cols]);
}

describe('the IWAE bound (Burda et al. 2016)', () => {
  it('with k = 1 is the single-sample ELBO, log p(x|z) + log p(z) − log q(z|x), computed by hand', () => {
    const model = buildModel({ config: small, shape, seed: 1 });
    tf.tidy(() => {
      const x = images(5);
      const eps = normals(2, 5, 3);
      const { logWeights, recon, posterior } = importanceLogWeights(model, x, eps);
      const bound = values(iwaeBound(logWeights, 5));
      const mu = values(posterior.mu);
      const logVar = values(posterior.logVar!);
      const e = values(eps);
      const r = values(recon);
      for (let i = 0; i < 5; i++) {
        let logPz = 0;
        let logQz = 0;
        for (let j = 0; j < 3; j++) {
          const idx = i * 3 + j;
          const z = mu[idx] + Math.exp(logVar[idx] / 2) * e[idx];
          logPz += -0.5 * z * z - 0.5 * Math.log(2 * Math.PI);
          logQz += -0.5 * e[idx] * e[idx] - 0.5 * logVar[idx] - 0.5 * Math.log(2 * Math.PI);
        }
        expect(bound[i]).toBeCloseTo(-r[i] + logPz - logQz, 4);
      }
    });
    disposeModel(model);
  });

  it('with k = 1 averages to the closed-form ELBO −(recon + KL) over many draws', () => {
    const model = buildModel({ config: small, shape, seed: 1 });
    tf.tidy(() => {
      const x = images(1);
      const draws = 20000;
      const { logWeights, recon } = importanceLogWeights(
        model,
        tf.tile(x, [draws, 1]) as tf.Tensor2D,
        normals(3, draws, 3),
      );
      const l1 = values(iwaeBound(logWeights, draws));
      const mean = l1.reduce((a, b) => a + b, 0) / draws;
      const sd = Math.sqrt(l1.reduce((a, b) => a + (b - mean) ** 2, 0) / draws);
      const q = encode(model, x);
      const kl = values(tf.sum(klPerDimension(q.mu, q.logVar!)))[0];
      const meanRecon = values(tf.mean(recon))[0];
      expect(Math.abs(mean - -(meanRecon + kl))).toBeLessThan((4 * sd) / Math.sqrt(draws));
    });
    disposeModel(model);
  });

  it('rises with k on a fixed model: L_1 < L_5 < L_50 < L_1000 (fixed seed)', () => {
    const model = buildModel({ config: small, shape, seed: 4 });
    const n = 20;
    const bound = (k: number, seed: number): number =>
      tf.tidy(() => {
        const { logWeights } = importanceLogWeights(model, images(n), normals(seed, k * n, 3));
        return values(tf.mean(iwaeBound(logWeights, n)))[0];
      });
    // Each averaged over repeats so the comparison is between expectations, not single noisy draws.
    const expected = (k: number): number => {
      let sum = 0;
      for (let r = 0; r < 20; r++) sum += bound(k, 100 * k + r);
      return sum / 20;
    };
    const [l1, l5, l50, l1000] = [1, 5, 50, 1000].map(expected);
    expect(l5).toBeGreaterThan(l1);
    expect(l50).toBeGreaterThan(l5);
    expect(l1000).toBeGreaterThan(l50);
    disposeModel(model);
  });
});

describe('free bits (Kingma et al. 2016)', () => {
  it('leave the gradient of a dimension above λ unchanged and zero it below', () => {
    // Batch-mean KL per dimension: dim 0 ≈ 1.1 nats (above λ = 0.5), dim 1 ≈ 0.03 (below), dim 2 = 0.5 + 0.72.
    const mu = tf.variable(
      tf.tensor2d([
        [1.5, 0.2, 0.3],
        [-1.4, 0.25, 1.6],
      ]),
    );
    const logVar = tf.variable(
      tf.tensor2d([
        [0.1, -0.1, 0.2],
        [-0.2, 0.05, -0.3],
      ]),
    );
    const lambda = 0.5;
    const plain = tf.variableGrads(() => tf.div(tf.sum(klPerDimension(mu, logVar)), 2) as tf.Scalar, [mu, logVar]);
    const free = tf.variableGrads(() => freeBitsKl(klPerDimension(mu, logVar), lambda), [mu, logVar]);
    const perDim = values(tf.mean(klPerDimension(mu, logVar), 0));
    expect(perDim[0]).toBeGreaterThan(lambda);
    expect(perDim[1]).toBeLessThan(lambda);
    expect(perDim[2]).toBeGreaterThan(lambda);
    for (const name of [mu.name, logVar.name]) {
      const p = values(plain.grads[name]);
      const f = values(free.grads[name]);
      for (let i = 0; i < p.length; i++) {
        if (i % 3 === 1) expect(f[i]).toBe(0);
        else expect(f[i]).toBeCloseTo(p[i], 6);
      }
      expect(p.some((v, i) => i % 3 === 1 && Math.abs(v) > 1e-3)).toBe(true);
    }
    // The value: λ for the dimension under it, the KL for the others.
    expect(values(free.value)[0]).toBeCloseTo(perDim[0] + lambda + perDim[2], 5);
    tf.dispose([mu, logVar, plain.value, free.value, ...Object.values(plain.grads), ...Object.values(free.grads)]);
  });

  it('refuses a negative λ, naming it', () => {
    expect(() => freeBitsKl(tf.zeros([1, 1]) as tf.Tensor2D, -1)).toThrow(/λ = -1/);
  });
});

describe('the Gaussian decoder with learned variance', () => {
  it('matches Σ_d (x − x̂)²/(2σ_d²) + ½ log(2πσ_d²) computed by hand', () => {
    tf.tidy(() => {
      const mean = tf.tensor2d([[0.25, 0.5, 0.75]]);
      const x = tf.tensor2d([[0, 1, 0.5]]);
      const variances = [0.5, 2, 0.1];
      const logVar = tf.tensor1d(variances.map(Math.log));
      const byHand =
        [0.25 ** 2 / (2 * 0.5), 0.5 ** 2 / (2 * 2), 0.25 ** 2 / (2 * 0.1)].reduce((a, b) => a + b, 0) +
        variances.reduce((a, v) => a + 0.5 * Math.log(2 * Math.PI * v), 0);
      expect(values(gaussianNllLearned(mean, x, logVar))[0]).toBeCloseTo(byHand, 5);
      // One shared σ² gives the fixed-σ² likelihood.
      expect(values(gaussianNllLearned(mean, x, tf.tensor1d([Math.log(0.3)])))[0]).toBeCloseTo(
        values(gaussianNll(mean, x, 0.3))[0],
        5,
      );
    });
  });

  it('refuses a log σ² of the wrong size', () => {
    tf.tidy(() => {
      expect(() => gaussianNllLearned(tf.zeros([1, 3]), tf.zeros([1, 3]), tf.zeros([2]))).toThrow(/2 values.*1 .*or 3/);
    });
  });

  it('is a weight of the model starting at log σ², per pixel or shared, that the reconstruction term trains', () => {
    for (const [mode, size] of [
      ['learned-per-pixel', 16],
      ['learned-shared', 1],
    ] as const) {
      const config: ModelConfig = { ...small, likelihood: 'gaussian', gaussianVariance: 0.2, decoderVariance: mode };
      expect(paramSpecs(config, shape).at(-1)).toMatchObject({ name: 'dec/logvar', shape: [size] });
      const model = buildModel({ config, shape, seed: 1 });
      const logVar = decoderLogVariance(model)!;
      expect(values(logVar).every((v) => Math.abs(v - Math.log(0.2)) < 1e-6)).toBe(true);
      const { grads, value } = tf.variableGrads(() => {
        const x = images(3);
        return tf.mean(modelReconstructionNll(model, decode(model, encode(model, x).mu), x)) as tf.Scalar;
      });
      const name = model.params.find((p) => p.name === 'dec/logvar')!.variable.name;
      expect(values(grads[name]).some((g) => g !== 0)).toBe(true);
      tf.dispose([value, ...Object.values(grads)]);
      disposeModel(model);
    }
    // Fixed σ² and Bernoulli decoders have no such weight.
    expect(paramSpecs({ ...small, likelihood: 'gaussian' }, shape).some((s) => s.name === 'dec/logvar')).toBe(false);
    expect(
      paramSpecs({ ...small, decoderVariance: 'learned-shared' }, shape).some((s) => s.name === 'dec/logvar'),
    ).toBe(false);
  });
});

describe("PyTorch's default initialisation", () => {
  it('draws weights and biases from U(±1/√fan_in), spread as a uniform', async () => {
    const model = buildModel({ config: { ...small, hiddenSizes: [64], init: 'pytorch' }, shape, seed: 3 });
    for (const { name, variable } of model.params) {
      const fanIn = name.startsWith('enc/dense0')
        ? 16
        : name.startsWith('dec/out')
          ? 64
          : name.startsWith('enc/')
            ? 64
            : 3;
      const limit = 1 / Math.sqrt(fanIn);
      const data = Array.from((await variable.data()) as Float32Array);
      expect(Math.max(...data.map(Math.abs))).toBeLessThanOrEqual(limit);
      const sd = Math.sqrt(data.reduce((a, v) => a + v * v, 0) / data.length);
      // A uniform on ±a has standard deviation a/√3; the smallest layers here have 3 values, so only the big ones.
      if (data.length >= 500) expect(sd).toBeCloseTo(limit / Math.sqrt(3), 2);
      if (name.endsWith('/b')) expect(data.some((v) => v !== 0)).toBe(true);
    }
    disposeModel(model);
    const he = buildModel({ config: small, shape, seed: 3 });
    const bias = (await he.params.find((p) => p.name === 'enc/dense0/b')!.variable.data()) as Float32Array;
    expect(Array.from(bias).every((v) => v === 0)).toBe(true);
    disposeModel(he);
  });
});
