import * as tf from '@tensorflow/tfjs';
import { symmetricEigen } from '../../src-shared/latent';

/**
 * Principal components in closed form, for the PCA baseline.
 *
 * Method: the D×D covariance C = (1/n) Σ (x − μ)(x − μ)ᵀ is one big matrix product XᵀX, accumulated over chunks of
 * rows with TF.js (on wasm only an untransposed matMul is fast, so each chunk is transposed explicitly first). Its top
 * d eigenvectors come from subspace iteration (block power iteration with Rayleigh–Ritz, Golub & Van Loan §8.2.4)
 * on a block of p = min(D, 2d + 8) vectors, which converges at the rate λ_{p+1}/λ_d per step, far faster than
 * λ_{d+1}/λ_d: each step is one D×D by D×p product plus a Gram–Schmidt and a p×p Jacobi eigensolve. A full D×D
 * eigendecomposition (D = 784) would cost ~D³ in plain JavaScript, seconds more, for components nobody asked for;
 * the total variance trace(C) still gives the variance the discarded components hold.
 */

export interface PcaFit {
  /** Per-pixel mean of the training images. */
  mean: Float64Array;
  /** The top d principal directions, each a unit vector of D values, row-major d×D, by decreasing eigenvalue. */
  components: Float64Array;
  /** Their eigenvalues λ_1 ≥ … ≥ λ_d of C: the variance of the data along each direction. */
  eigenvalues: number[];
  /** trace(C) = Σ of all D eigenvalues: the total variance; trace − Σ λ_i is the mean squared error per image. */
  totalVariance: number;
  /** Subspace-iteration steps taken. */
  iterations: number;
}

export interface PcaProgress {
  /** Rows of the covariance accumulated so far, of count; then the eigensolve. */
  phase: 'covariance' | 'eigenvectors';
  done: number;
  total: number;
}

export interface PcaOptions {
  onProgress?: (progress: PcaProgress) => void;
  /** Polled between chunks and steps; true ends the fit early with null. */
  shouldStop?: () => boolean;
  /** Rows per covariance chunk. */
  chunkRows?: number;
}

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Per-pixel mean and the covariance C (population: divided by n), row-major D×D, with its trace. */
export async function covariance(
  pixels: Float32Array,
  count: number,
  dim: number,
  options: PcaOptions = {},
): Promise<{ mean: Float64Array; cov: Float32Array; trace: number } | null> {
  if (count < 1 || pixels.length !== count * dim) {
    throw new Error(`covariance: ${pixels.length} values are not ${count} images of ${dim} pixels`);
  }
  const mean = new Float64Array(dim);
  for (let i = 0; i < count; i++) {
    const row = i * dim;
    for (let d = 0; d < dim; d++) mean[d] += pixels[row + d];
  }
  for (let d = 0; d < dim; d++) mean[d] /= count;
  const mean32 = tf.tensor1d(Float32Array.from(mean));
  let sum = tf.zeros([dim, dim]) as tf.Tensor2D;
  const chunk = options.chunkRows ?? 4096;
  try {
    for (let start = 0; start < count; start += chunk) {
      const n = Math.min(chunk, count - start);
      const next = tf.tidy(() => {
        const centred = tf.sub(tf.tensor2d(pixels.subarray(start * dim, (start + n) * dim), [n, dim]), mean32);
        return tf.add(sum, tf.matMul(tf.transpose(centred), centred)) as tf.Tensor2D;
      });
      sum.dispose();
      sum = next;
      options.onProgress?.({ phase: 'covariance', done: start + n, total: count });
      await yieldToEventLoop();
      if (options.shouldStop?.()) return null;
    }
    const cov = (await sum.data()) as Float32Array;
    for (let i = 0; i < cov.length; i++) cov[i] /= count;
    let trace = 0;
    for (let d = 0; d < dim; d++) trace += cov[d * dim + d];
    return { mean, cov, trace };
  } finally {
    mean32.dispose();
    sum.dispose();
  }
}

/** Orthonormalises the rows of q (p×D) in place by modified Gram–Schmidt; a dependent row is replaced by a fresh one. */
function orthonormalRows(q: Float64Array, p: number, dim: number, refill: (row: number) => void): void {
  for (let i = 0; i < p; i++) {
    for (let attempt = 0; attempt < 3; attempt++) {
      const row = q.subarray(i * dim, (i + 1) * dim);
      for (let j = 0; j < i; j++) {
        const other = q.subarray(j * dim, (j + 1) * dim);
        let dot = 0;
        for (let d = 0; d < dim; d++) dot += row[d] * other[d];
        for (let d = 0; d < dim; d++) row[d] -= dot * other[d];
      }
      let norm = 0;
      for (let d = 0; d < dim; d++) norm += row[d] * row[d];
      norm = Math.sqrt(norm);
      if (norm > 1e-10) {
        for (let d = 0; d < dim; d++) row[d] /= norm;
        break;
      }
      refill(i);
    }
  }
}

/**
 * The top d eigenpairs of a symmetric positive semi-definite D×D matrix (row-major) by subspace iteration. The start
 * block is drawn from `random` (uniform in [0, 1)), so a seed makes the signs reproducible; each returned vector is
 * then signed so its largest entry is positive.
 */
export async function topEigenvectors(
  matrix: Float32Array,
  dim: number,
  d: number,
  random: () => number,
  options: PcaOptions = {},
): Promise<{ values: number[]; vectors: Float64Array; iterations: number } | null> {
  if (!Number.isInteger(d) || d < 1 || d > dim) {
    throw new Error(`topEigenvectors: ${d} components of a ${dim}×${dim} matrix; allowed 1 to ${dim}`);
  }
  const p = Math.min(dim, 2 * d + 8);
  const q = new Float64Array(p * dim);
  const refill = (row: number): void => {
    for (let k = 0; k < dim; k++) q[row * dim + k] = random() - 0.5;
  };
  for (let i = 0; i < p; i++) refill(i);
  orthonormalRows(q, p, dim, refill);
  const c = tf.tensor2d(matrix, [dim, dim]);
  const multiply = async (rows: Float64Array): Promise<Float64Array> => {
    // Rows times C = (C · rowsᵀ)ᵀ as C is symmetric: one untransposed p×D by D×D product.
    const product = tf.tidy(() => tf.matMul(tf.tensor2d(Float32Array.from(rows), [p, dim]), c));
    try {
      return Float64Array.from((await product.data()) as Float32Array);
    } finally {
      product.dispose();
    }
  };
  const maxIterations = 1000;
  let previous: number[] | null = null;
  try {
    for (let iteration = 1; iteration <= maxIterations; iteration++) {
      const z = await multiply(q);
      // Rayleigh–Ritz: T = Q C Qᵀ (p×p); its eigenvectors rotate Q onto the best approximations in the subspace.
      const t = new Float64Array(p * p);
      for (let i = 0; i < p; i++) {
        for (let j = i; j < p; j++) {
          let dot = 0;
          for (let k = 0; k < dim; k++) dot += q[i * dim + k] * z[j * dim + k];
          t[i * p + j] = dot;
          t[j * p + i] = dot;
        }
      }
      // Eigenvalues descending, each eigenvector a row.
      const { values: ritz, vectors } = symmetricEigen(t, p);
      const top = ritz.slice(0, d);
      const scale = Math.max(Math.abs(ritz[0]), 1e-300);
      const converged = previous !== null && top.every((value, i) => Math.abs(value - previous![i]) <= 1e-6 * scale);
      if (converged || iteration === maxIterations || p === dim) {
        // Ritz vectors: rows of Vᵀ Q in eigenvalue order.
        const out = new Float64Array(d * dim);
        for (let r = 0; r < d; r++) {
          for (let i = 0; i < p; i++) {
            const w = vectors[r][i];
            if (w === 0) continue;
            for (let k = 0; k < dim; k++) out[r * dim + k] += w * q[i * dim + k];
          }
          let largest = 0;
          for (let k = 0; k < dim; k++) if (Math.abs(out[r * dim + k]) > Math.abs(largest)) largest = out[r * dim + k];
          if (largest < 0) for (let k = 0; k < dim; k++) out[r * dim + k] = -out[r * dim + k];
        }
        return { values: top.map((v) => Math.max(0, v)), vectors: out, iterations: iteration };
      }
      previous = top;
      q.set(z);
      orthonormalRows(q, p, dim, refill);
      options.onProgress?.({ phase: 'eigenvectors', done: iteration, total: maxIterations });
      await yieldToEventLoop();
      if (options.shouldStop?.()) return null;
    }
    throw new Error('unreachable');
  } finally {
    c.dispose();
  }
}

/** PCA of `count` images of `dim` pixels: mean, top d components and their variances. Null when stopped. */
export async function fitPca(
  pixels: Float32Array,
  count: number,
  dim: number,
  d: number,
  random: () => number,
  options: PcaOptions = {},
): Promise<PcaFit | null> {
  const stats = await covariance(pixels, count, dim, options);
  if (stats === null) return null;
  const eigen = await topEigenvectors(stats.cov, dim, d, random, options);
  if (eigen === null) return null;
  return {
    mean: stats.mean,
    components: eigen.vectors,
    eigenvalues: eigen.values,
    totalVariance: stats.trace,
    iterations: eigen.iterations,
  };
}

export interface NamedWeight {
  name: string;
  shape: number[];
  data: Float32Array;
}

/**
 * The fit as the baseline model's weights. Codes are whitened, z_j = u_jᵀ(x − μ)/√λ_j: unit variance on the training
 * images, so traversals over ±3 span ±3 standard deviations of each component, as for a VAE's N(0, 1) prior.
 * Decoding inverts it: x̂ = μ + Σ_j z_j √λ_j u_j. A component with no variance is left unscaled.
 */
export function pcaWeights(fit: PcaFit): NamedWeight[] {
  const d = fit.eigenvalues.length;
  const dim = fit.mean.length;
  const tiny = 1e-12 * Math.max(fit.eigenvalues[0] ?? 0, 1e-300);
  const scales = fit.eigenvalues.map((lambda) => (lambda > tiny ? Math.sqrt(lambda) : 1));
  const encW = new Float32Array(dim * d);
  const encB = new Float32Array(d);
  const decW = new Float32Array(d * dim);
  for (let j = 0; j < d; j++) {
    let offset = 0;
    for (let k = 0; k < dim; k++) {
      const u = fit.components[j * dim + k];
      encW[k * d + j] = u / scales[j];
      decW[j * dim + k] = u * scales[j];
      offset += u * fit.mean[k];
    }
    encB[j] = -offset / scales[j];
  }
  return [
    { name: 'enc/mu/W', shape: [dim, d], data: encW },
    { name: 'enc/mu/b', shape: [d], data: encB },
    { name: 'dec/out/W', shape: [d, dim], data: decW },
    { name: 'dec/out/b', shape: [dim], data: Float32Array.from(fit.mean) },
  ];
}
