import * as tf from '@tensorflow/tfjs';
import type { ModelConfig, Posterior, VaeModel } from './model';
import { decode, decoderLogVariance, decoderMean, encode, ModelError, reparameterize } from './model';
import { rngFor, Stream } from './random';

/**
 * Loss terms in nats per example, summed over pixels (never averaged per pixel) and over latent dimensions.
 * Each returns a [N] tensor: one value per example.
 */

/**
 * −log p(x|z) under a Bernoulli decoder with logits l: Σ_d max(l,0) − l·x + log(1 + e^−|l|), the numerically
 * stable binary cross-entropy (exact for x in [0, 1]; it never forms sigmoid(l) or log(0)). Its gradient is
 * written by hand as sigmoid(l) − x: three kernels instead of the dozen TF.js's autodiff of the expression emits.
 */
export function bernoulliNll(logits: tf.Tensor2D, x: tf.Tensor2D): tf.Tensor1D {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [l, save] = args as [tf.Tensor2D, tf.GradSaveFunc];
    const perPixel = tf.add(tf.sub(tf.relu(l), tf.mul(l, x)), tf.log1p(tf.exp(tf.neg(tf.abs(l)))));
    // x is saved too: it may have been made inside the differentiated function, whose tensors are freed after the forward pass.
    save([l, x]);
    return {
      value: tf.sum(perPixel, 1) as tf.Tensor1D,
      gradFunc: (dy: tf.Tensor1D, saved: tf.Tensor[]) =>
        tf.mul(tf.expandDims(dy, 1), tf.sub(tf.sigmoid(saved[0]), saved[1])),
    };
  });
  return op(logits) as tf.Tensor1D;
}

/**
 * −log p(x|z) under a Gaussian decoder N(x̂, σ² I) with fixed σ²: Σ_d (x − x̂)²/(2σ²) + D/2 · log(2πσ²).
 * The constant D/2 · log(2πσ²) is included, so the value is a true negative log-density comparable across σ².
 */
export function gaussianNll(mean: tf.Tensor2D, x: tf.Tensor2D, variance: number): tf.Tensor1D {
  if (!(variance > 0)) throw new ModelError(`gaussianNll: variance σ² = ${variance} must be > 0`);
  const pixels = x.shape[1];
  const squared = tf.sum(tf.squaredDifference(x, mean), 1);
  return tf.add(tf.mul(squared, 1 / (2 * variance)), (pixels / 2) * Math.log(2 * Math.PI * variance)) as tf.Tensor1D;
}

/**
 * −log p(x|z) under a Gaussian decoder N(x̂, diag σ²) with learned log σ² ([D], one per pixel, or [1], shared):
 * Σ_d (x_d − x̂_d)²/(2σ_d²) + ½ log(2πσ_d²). Gradients reach log σ² too, so the decoder learns its own noise level.
 */
export function gaussianNllLearned(mean: tf.Tensor2D, x: tf.Tensor2D, logVariance: tf.Tensor1D): tf.Tensor1D {
  const pixels = x.shape[1];
  if (logVariance.size !== 1 && logVariance.size !== pixels) {
    throw new ModelError(
      `gaussianNllLearned: log σ² has ${logVariance.size} values; it needs 1 (shared) or ${pixels} (one per pixel)`,
    );
  }
  const perPixel = tf.add(
    tf.mul(tf.squaredDifference(x, mean), tf.mul(tf.exp(tf.neg(logVariance)), 0.5)),
    tf.mul(tf.add(logVariance, Math.log(2 * Math.PI)), 0.5),
  );
  return tf.sum(perPixel, 1) as tf.Tensor1D;
}

/** −log p(x|z) for the run's likelihood, from the decoder's logits; logVariance: a learned σ² (see gaussianNllLearned). */
export function reconstructionNll(
  config: Pick<ModelConfig, 'likelihood' | 'gaussianVariance'>,
  logits: tf.Tensor2D,
  x: tf.Tensor2D,
  logVariance: tf.Tensor1D | null = null,
): tf.Tensor1D {
  if (config.likelihood === 'bernoulli') return bernoulliNll(logits, x);
  return logVariance === null
    ? gaussianNll(decoderMean(logits), x, config.gaussianVariance)
    : gaussianNllLearned(decoderMean(logits), x, logVariance);
}

/** −log p(x|z) for a model, with its learned σ² when it has one. */
export function modelReconstructionNll(model: VaeModel, logits: tf.Tensor2D, x: tf.Tensor2D): tf.Tensor1D {
  return reconstructionNll(model.config, logits, x, decoderLogVariance(model));
}

/**
 * The KL term under free bits (Kingma et al. 2016, eq. 15): Σ_j max(λ, KL_j) with KL_j averaged over the batch, so a
 * dimension under λ nats gets no gradient from the KL term and one above it the plain KL's. klPerDim is [N, J].
 */
export function freeBitsKl(klPerDim: tf.Tensor2D, lambda: number): tf.Scalar {
  if (!(lambda >= 0)) throw new ModelError(`free bits λ = ${lambda} must be ≥ 0 nats per dimension`);
  return tf.sum(tf.maximum(tf.mean(klPerDim, 0), lambda)) as tf.Scalar;
}

/**
 * log w = α · log p(x|z) + β · (log p(z) − log q(z|x)) for z = μ + σ ⊙ ε, eps [k·N, J] sample-major; returns [k·N].
 * With α = β = 1 these are the importance weights of the IWAE bound; the −J/2 · log 2π of both densities cancel.
 */
export function importanceLogWeights(
  model: VaeModel,
  x: tf.Tensor2D,
  eps: tf.Tensor2D,
  alpha = 1,
  beta = 1,
): { logWeights: tf.Tensor1D; recon: tf.Tensor1D; posterior: Posterior } {
  const posterior = encode(model, x);
  if (posterior.logVar === null) {
    throw new ModelError('the IWAE bound needs a stochastic encoder q(z|x); this run is a plain autoencoder');
  }
  const samples = eps.shape[0] / x.shape[0];
  const z = reparameterize(posterior, eps);
  const target = samples === 1 ? x : (tf.tile(x, [samples, 1]) as tf.Tensor2D);
  const recon = modelReconstructionNll(model, decode(model, z), target);
  const logVarS = samples === 1 ? posterior.logVar : tf.tile(posterior.logVar, [samples, 1]);
  const logPz = tf.mul(tf.sum(tf.square(z), 1), -0.5);
  const logQz = tf.mul(tf.sum(tf.add(tf.square(eps), logVarS), 1), -0.5);
  const logWeights = tf.sub(tf.mul(tf.sub(logPz, logQz), beta), tf.mul(recon, alpha)) as tf.Tensor1D;
  return { logWeights, recon, posterior };
}

/**
 * The IWAE bound per example (Burda et al. 2016, eq. 8): L_k = log (1/k) Σ_i w_i, from log-weights [k·N]
 * (sample-major). With k = 1 it is the single-sample ELBO.
 */
export function iwaeBound(logWeights: tf.Tensor1D, examples: number): tf.Tensor1D {
  const k = logWeights.shape[0] / examples;
  if (!Number.isInteger(k) || k < 1) {
    throw new ModelError(`iwaeBound: ${logWeights.shape[0]} log-weights do not split into k samples of ${examples}`);
  }
  return tf.sub(tf.logSumExp(tf.reshape(logWeights, [k, examples]), 0), Math.log(k)) as tf.Tensor1D;
}

/** KL(q(z|x) ‖ N(0, I)) per example and latent dimension, [N, J]: ½ (μ² + σ² − 1 − log σ²) (Kingma & Welling 2014, appendix B). */
export function klPerDimension(mu: tf.Tensor2D, logVar: tf.Tensor2D): tf.Tensor2D {
  return tf.mul(tf.sub(tf.add(tf.square(mu), tf.exp(logVar)), tf.add(logVar, 1)), 0.5);
}

/** KL(q(z|x) ‖ N(0, I)) per example, [N]: the closed form summed over latent dimensions. */
export function klToStandardNormal(mu: tf.Tensor2D, logVar: tf.Tensor2D): tf.Tensor1D {
  return tf.sum(klPerDimension(mu, logVar), 1);
}

/** What importance sampling needs from a model: q(z|x) and log p(x|z). */
export interface ImportanceSamplingModel {
  latentDim: number;
  /** q(z|x) = N(μ, diag σ²) for x [N, D]. */
  encode(x: tf.Tensor2D): { mu: tf.Tensor2D; logVar: tf.Tensor2D };
  /** log p(x|z) per row, [M], for z [M, J] and the matching rows of x [M, D]. */
  logLikelihood(z: tf.Tensor2D, x: tf.Tensor2D): tf.Tensor1D;
}

export interface EstimateNllOptions {
  /** Seeds ε; the same seed gives the same estimate. */
  seed?: number;
  /** Upper bound on values in one decoded chunk (samples × examples × pixels); bounds memory. Default 2²². */
  maxChunkValues?: number;
}

/**
 * −log p(x) per example, estimated by importance sampling with k samples from q(z|x) (Burda et al. 2016, eq. 8):
 * log p(x) ≈ log (1/k) Σ_i p(x|z_i) p(z_i) / q(z_i|x), z_i ~ q(z|x). The log-mean-exp is accumulated in float64
 * across chunks of samples, so k = 5000 runs in bounded memory.
 */
export function estimateNllWith(
  model: ImportanceSamplingModel,
  x: tf.Tensor2D,
  k: number,
  options: EstimateNllOptions = {},
): Promise<Float64Array> {
  // Checked before anything is awaited, so a bad k throws where it is passed.
  if (!Number.isInteger(k) || k < 1) throw new ModelError(`importance samples k = ${k} must be a positive integer`);
  return importanceSample(model, x, k, options);
}

async function importanceSample(
  model: ImportanceSamplingModel,
  x: tf.Tensor2D,
  k: number,
  options: EstimateNllOptions,
): Promise<Float64Array> {
  const [n, pixels] = x.shape;
  const j = model.latentDim;
  const seed = options.seed ?? 0;
  const budget = options.maxChunkValues ?? 2 ** 22;
  const chunk = Math.max(1, Math.min(k, Math.floor(budget / (n * Math.max(pixels, j)))));
  const maxLogW = new Float64Array(n).fill(-Infinity);
  const sumExp = new Float64Array(n);
  const { mu, logVar } = tf.tidy(() => {
    const q = model.encode(x);
    return { mu: q.mu, logVar: q.logVar };
  });
  try {
    for (let start = 0, chunkIndex = 0; start < k; start += chunk, chunkIndex++) {
      const s = Math.min(chunk, k - start);
      const eps = new Float32Array(s * n * j);
      const rng = rngFor(seed, Stream.importanceSampling, chunkIndex);
      for (let i = 0; i < eps.length; i++) eps[i] = rng.normal();
      const logW = tf.tidy(() => {
        const e = tf.tensor2d(eps, [s * n, j]);
        const muS = tf.tile(mu, [s, 1]);
        const logVarS = tf.tile(logVar, [s, 1]);
        const z = tf.add(muS, tf.mul(tf.exp(tf.mul(logVarS, 0.5)), e)) as tf.Tensor2D;
        const logPxz = model.logLikelihood(z, tf.tile(x, [s, 1]) as tf.Tensor2D);
        // log p(z) − log q(z|x): the −J/2 · log 2π of both densities cancel.
        const logPz = tf.mul(tf.sum(tf.square(z), 1), -0.5);
        const logQz = tf.mul(tf.sum(tf.add(tf.square(e), logVarS), 1), -0.5);
        return tf.add(logPxz, tf.sub(logPz, logQz));
      });
      let values: Float32Array;
      try {
        values = (await logW.data()) as Float32Array;
      } finally {
        logW.dispose();
      }
      for (let sample = 0; sample < s; sample++) {
        for (let i = 0; i < n; i++) {
          const w = values[sample * n + i];
          if (w > maxLogW[i]) {
            sumExp[i] = sumExp[i] * Math.exp(maxLogW[i] - w) + 1;
            maxLogW[i] = w;
          } else {
            sumExp[i] += Math.exp(w - maxLogW[i]);
          }
        }
      }
    }
  } finally {
    mu.dispose();
    logVar.dispose();
  }
  const nll = new Float64Array(n);
  for (let i = 0; i < n; i++) nll[i] = -(maxLogW[i] + Math.log(sumExp[i]) - Math.log(k));
  return nll;
}

/** −log p(x) per example for a trained VAE (see estimateNllWith); x is [N, H·W] with pixels in [0, 1]. */
export function estimateNll(
  model: VaeModel,
  x: tf.Tensor2D,
  k: number,
  options: EstimateNllOptions = {},
): Promise<Float64Array> {
  if (model.config.autoencoder) {
    throw new ModelError(
      'the importance-sampled NLL needs a stochastic encoder q(z|x); this run is a plain autoencoder (z = μ(x))',
    );
  }
  return estimateNllWith(
    {
      latentDim: model.config.latentDim,
      encode: (batch) => {
        const posterior: Posterior = encode(model, batch);
        return { mu: posterior.mu, logVar: posterior.logVar! };
      },
      logLikelihood: (z, xs) => tf.neg(modelReconstructionNll(model, decode(model, z), xs)),
    },
    x,
    k,
    options,
  );
}
