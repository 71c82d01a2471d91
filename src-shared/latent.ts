import { z } from 'zod';
import { method } from './contract';

/**
 * The latent-space views (issue 4): request schemas, result shapes, and the pure math they need (PCA of encoded
 * means, ordering latent dimensions by KL). Images are 8-bit grey bytes, row-major: Uint8Array on every hop (structured
 * clone between processes and over Electron IPC, tagged base64 in browser mode's JSON).
 */

/** Largest manifold grid side: 30×30 = 900 decodes in one request. */
export const MAX_MANIFOLD_N = 30;
/** Largest number of test points encoded for the scatter view. */
export const MAX_ENCODE_COUNT = 10_000;
export const MAX_DECODE_CODES = 1024;
export const MAX_PRIOR_SAMPLES = 400;
export const MAX_TEST_IMAGES = 1000;
export const MAX_TRAVERSAL_STEPS = 30;
export const MAX_INTERPOLATION_STEPS = 64;
/**
 * A latent dimension whose KL(q(z_j|x) ‖ p(z_j)) on the test split is below this many nats per example carries
 * almost no information about x: the traversal view marks it collapsed. Related to, but not the same as, the
 * active-unit criterion of Burda et al. (2016, §5.2), which thresholds Cov_x(E_q[z_j|x]) at 0.01.
 */
export const COLLAPSED_KL_NATS = 0.01;

const runId = z.number().int().min(1);
/** A stored checkpoint's epoch; absent means the newest checkpoint of the run. */
const epoch = z.number().int().min(1).optional();
const finite = z.number().finite();
/** Codes held fixed: the prior mean (all zeros) or a given code, e.g. an encoded input's mean. */
const base = z.union([z.literal('zero'), z.array(finite).min(1).max(512)]);

/** A request about one checkpoint of a run (the newest when epoch is absent), with the method's own fields. */
function checkpointRequest<S extends z.ZodRawShape>(fields: S) {
  return z.object({ runId, epoch, ...fields }).strict();
}

export const latentDecodeInput = checkpointRequest({
  codes: z.array(z.array(finite).min(1).max(512)).min(1).max(MAX_DECODE_CODES),
});

export const latentManifoldInput = checkpointRequest({
  n: z.number().int().min(1).max(MAX_MANIFOLD_N),
  dims: z.tuple([z.number().int().min(0), z.number().int().min(0)]),
  base: base.default('zero'),
  spacing: z.enum(['linear', 'inverse-cdf']).default('inverse-cdf'),
  /** Half-width of the linear grid [−r, r]; unused by the inverse-CDF spacing. */
  r: z.number().gt(0).max(10).default(3),
});

export const latentPriorSamplesInput = checkpointRequest({
  count: z.number().int().min(1).max(MAX_PRIOR_SAMPLES),
  seed: z
    .number()
    .int()
    .min(0)
    .max(2 ** 31 - 1),
});

export const latentEncodeTestInput = checkpointRequest({
  count: z.number().int().min(1).max(MAX_ENCODE_COUNT),
  offset: z.number().int().min(0).default(0),
});

export const latentTestImagesInput = z
  .object({ runId, indices: z.array(z.number().int().min(0)).min(1).max(MAX_TEST_IMAGES) })
  .strict();

export const latentTraversalsInput = checkpointRequest({
  base: base.default('zero'),
  steps: z.number().int().min(2).max(MAX_TRAVERSAL_STEPS).default(11),
  /** Each dimension sweeps [−range, range]. */
  range: z.number().gt(0).max(10).default(3),
});

export const latentInterpolateInput = checkpointRequest({
  /** Test-split indices of the two endpoints. */
  from: z.number().int().min(0),
  to: z.number().int().min(0),
  steps: z.number().int().min(2).max(MAX_INTERPOLATION_STEPS).default(10),
});

/** Every decode comes from one checkpoint; images are 8-bit grey, row-major, width × height each. */
export interface CheckpointImages {
  runId: number;
  /** The checkpoint's epoch (resolved when the request left it out). */
  epoch: number;
  width: number;
  height: number;
  images: Uint8Array[];
}

export type LatentDecodeResult = CheckpointImages;

export interface LatentManifoldResult {
  runId: number;
  epoch: number;
  n: number;
  dims: [number, number];
  spacing: 'linear' | 'inverse-cdf';
  /** One tile's size. */
  tileWidth: number;
  tileHeight: number;
  /** The n×n tiles side by side without gaps: (n·tileWidth) × (n·tileHeight). */
  grid: { width: number; height: number; pixels: Uint8Array };
  /** z[dims[0]] of each column, left to right. */
  xValues: number[];
  /** z[dims[1]] of each row, top to bottom (decreasing, as plots draw it). */
  yValues: number[];
  base: number[];
}

export interface LatentPriorSamplesResult extends CheckpointImages {
  /** z ~ N(0, I) behind each image. */
  codes: number[][];
}

export interface LatentEncodeTestResult {
  runId: number;
  epoch: number;
  latentDim: number;
  /** Test-split indices, in order. */
  indices: number[];
  labels: number[];
  /** E_q[z|x] of each point. */
  mu: number[][];
  /** The scatter's 2-D coordinates: μ itself for a 1- or 2-D latent space, else its top two principal components. */
  projection: {
    kind: 'direct' | 'pca';
    points: [number, number][];
    /** Fraction of μ's total variance along each axis (1 and 0 for a direct 1-D projection). */
    explained: [number, number];
    /** The principal directions in latent space (unit vectors), for the axis labels; null when direct. */
    components: [number[], number[]] | null;
  };
}

export interface LatentTestImagesResult {
  runId: number;
  width: number;
  height: number;
  indices: number[];
  labels: number[];
  images: Uint8Array[];
}

export interface TraversalRow {
  dim: number;
  /** KL of this dimension at the checkpoint's epoch, nats per example; NaN when not recorded. */
  kl: number;
  /** kl < COLLAPSED_KL_NATS. */
  collapsed: boolean;
  images: Uint8Array[];
}

export interface LatentTraversalsResult {
  runId: number;
  epoch: number;
  width: number;
  height: number;
  /** The swept value of each column. */
  values: number[];
  base: number[];
  /** One per latent dimension, highest KL first. */
  rows: TraversalRow[];
}

export interface LatentInterpolateResult extends CheckpointImages {
  from: number;
  to: number;
  /** The code behind each image: (1 − t)·μ(from) + t·μ(to), t from 0 to 1. */
  codes: number[][];
  /** The two test images themselves. */
  endpoints: [Uint8Array, Uint8Array];
}

/** Errors a latent request can end in, by name (they cross as { name, message }). */
export type LatentErrorName = 'NotFound' | 'ValidationError' | 'StateError' | 'StoreError' | 'LatentProcessError';

/** Dimensions ordered by KL, highest first (ties and NaN by index, NaN last), each marked collapsed or not. */
export function orderDimsByKl(klPerDim: readonly number[]): { dim: number; kl: number; collapsed: boolean }[] {
  return klPerDim
    .map((kl, dim) => ({ dim, kl, collapsed: !(kl >= COLLAPSED_KL_NATS) }))
    .sort((a, b) => {
      const ak = Number.isNaN(a.kl) ? -Infinity : a.kl;
      const bk = Number.isNaN(b.kl) ? -Infinity : b.kl;
      return bk - ak || a.dim - b.dim;
    });
}

/** Evenly spaced values from −range to range, `steps` of them. */
export function sweepValues(steps: number, range: number): number[] {
  if (steps === 1) return [0];
  return Array.from({ length: steps }, (_, i) => -range + (2 * range * i) / (steps - 1));
}

/** (1 − t)·a + t·b for t = 0, 1/(steps−1), …, 1. */
export function lerpCodes(a: readonly number[], b: readonly number[], steps: number): number[][] {
  if (a.length !== b.length)
    throw new RangeError(`lerpCodes: codes have ${a.length} and ${b.length} dimensions; they must match`);
  return Array.from({ length: steps }, (_, i) => {
    const t = steps === 1 ? 0 : i / (steps - 1);
    return a.map((v, j) => (1 - t) * v + t * b[j]);
  });
}

export interface Pca2 {
  /** Unit eigenvectors of the sample covariance for its two largest eigenvalues; the sign makes the largest-magnitude entry positive. */
  components: [number[], number[]];
  /** Their eigenvalues: the variance along each component. */
  variances: [number, number];
  /** Trace of the covariance: the total variance. */
  totalVariance: number;
  mean: number[];
  /** Each point's coordinates along the two components, after centring. */
  points: [number, number][];
}

/**
 * Principal component analysis to two dimensions: the top two eigenvectors of the sample covariance
 * C = Xcᵀ Xc / (N − 1) of the centred points (Pearson 1901; Jolliffe, "Principal Component Analysis", ch. 1).
 * C is J×J for J-dimensional points; up to 32 dimensions it is diagonalised whole by cyclic Jacobi rotations, above
 * that by subspace iteration on 8 vectors with a Rayleigh–Ritz step (Golub & Van Loan, §8.2.4), which converges at the
 * rate λ₉/λ₂ for the two wanted pairs.
 */
export function pca2(points: readonly (readonly number[])[]): Pca2 {
  const n = points.length;
  if (n < 2) throw new RangeError(`PCA needs at least 2 points; got ${n}`);
  const dim = points[0].length;
  if (dim < 2) throw new RangeError(`PCA to 2 components needs points of at least 2 dimensions; got ${dim}`);
  points.forEach((p, i) => {
    if (p.length !== dim) throw new RangeError(`PCA: point ${i} has ${p.length} dimensions but point 0 has ${dim}`);
  });
  const mean = new Array<number>(dim).fill(0);
  for (const p of points) for (let j = 0; j < dim; j++) mean[j] += p[j] / n;
  const cov = new Float64Array(dim * dim);
  const centred = new Float64Array(dim);
  for (const p of points) {
    for (let j = 0; j < dim; j++) centred[j] = p[j] - mean[j];
    for (let a = 0; a < dim; a++) {
      const ca = centred[a];
      if (ca === 0) continue;
      for (let b = a; b < dim; b++) cov[a * dim + b] += ca * centred[b];
    }
  }
  for (let a = 0; a < dim; a++) {
    for (let b = a; b < dim; b++) {
      const v = cov[a * dim + b] / (n - 1);
      cov[a * dim + b] = v;
      cov[b * dim + a] = v;
    }
  }
  let totalVariance = 0;
  for (let j = 0; j < dim; j++) totalVariance += cov[j * dim + j];

  const { values, vectors } = dim <= 32 ? symmetricEigen(cov, dim) : topEigenBySubspaceIteration(cov, dim, 8);
  const components = [vectors[0], vectors[1]].map(fixSign) as [number[], number[]];
  const projected = points.map((p): [number, number] => {
    let x = 0;
    let y = 0;
    for (let j = 0; j < dim; j++) {
      const c = p[j] - mean[j];
      x += c * components[0][j];
      y += c * components[1][j];
    }
    return [x, y];
  });
  return {
    components,
    variances: [Math.max(0, values[0]), Math.max(0, values[1])],
    totalVariance,
    mean,
    points: projected,
  };
}

function fixSign(v: number[]): number[] {
  let largest = 0;
  for (let j = 1; j < v.length; j++) if (Math.abs(v[j]) > Math.abs(v[largest])) largest = j;
  return v[largest] < 0 ? v.map((x) => -x) : v;
}

/**
 * All eigenpairs of a symmetric n×n matrix (row-major), eigenvalues descending, by cyclic Jacobi rotations
 * (Golub & Van Loan, "Matrix Computations", §8.5): slow in n³ but exact to rounding, and simple enough to trust.
 */
export function symmetricEigen(matrix: Float64Array, n: number): { values: number[]; vectors: number[][] } {
  const a = Float64Array.from(matrix);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    let diag = 0;
    for (let p = 0; p < n; p++) {
      diag += a[p * n + p] * a[p * n + p];
      for (let q = p + 1; q < n; q++) off += a[p * n + q] * a[p * n + q];
    }
    if (off <= 1e-30 * Math.max(diag, 1e-300)) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q];
        if (apq === 0) continue;
        const theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p];
          const akq = a[k * n + q];
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k];
          const aqk = a[q * n + k];
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p];
          const vkq = v[k * n + q];
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => a[j * n + j] - a[i * n + i]);
  return {
    values: order.map((i) => a[i * n + i]),
    vectors: order.map((i) => Array.from({ length: n }, (_, k) => v[k * n + i])),
  };
}

/** The top eigenpairs of a symmetric positive semi-definite n×n matrix by subspace iteration on k vectors. */
function topEigenBySubspaceIteration(
  matrix: Float64Array,
  n: number,
  k: number,
): { values: number[]; vectors: number[][] } {
  // A fixed, well-spread start (not random): the result must not depend on a seed.
  let basis: Float64Array[] = Array.from({ length: k }, (_, i) =>
    Float64Array.from({ length: n }, (_, j) => Math.cos((i + 1) * (j + 1) * 0.7) + (i === j % k ? 1 : 0)),
  );
  basis = orthonormalize(basis);
  let previous: number[] = [];
  let ritz = { values: [] as number[], vectors: [] as number[][] };
  for (let iteration = 0; iteration < 1000; iteration++) {
    const product = basis.map((b) => multiply(matrix, n, b));
    basis = orthonormalize(product);
    // Rayleigh–Ritz: eigenpairs of Bᵀ A B give the best approximations within span(B).
    const projected = new Float64Array(k * k);
    const ab = basis.map((b) => multiply(matrix, n, b));
    for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) projected[i * k + j] = dot(basis[i], ab[j]);
    const small = symmetricEigen(projected, k);
    ritz = {
      values: small.values,
      vectors: small.vectors.map((y) => {
        const out = new Array<number>(n).fill(0);
        for (let i = 0; i < k; i++) for (let j = 0; j < n; j++) out[j] += y[i] * basis[i][j];
        return out;
      }),
    };
    const scale = Math.max(Math.abs(ritz.values[0]), 1e-300);
    if (
      previous.length > 0 &&
      Math.abs(previous[0] - ritz.values[0]) <= 1e-13 * scale &&
      Math.abs(previous[1] - ritz.values[1]) <= 1e-13 * scale
    )
      break;
    previous = ritz.values;
    basis = ritz.vectors.map((x) => Float64Array.from(x));
  }
  return ritz;
}

function multiply(matrix: Float64Array, n: number, x: Float64Array): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += matrix[i * n + j] * x[j];
    out[i] = s;
  }
  return out;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** Modified Gram–Schmidt; a vector that vanishes is replaced by a unit vector orthogonal to the rest. */
function orthonormalize(vectors: Float64Array[]): Float64Array[] {
  const out: Float64Array[] = [];
  for (const original of vectors) {
    let v = Float64Array.from(original);
    for (let attempt = 0; attempt <= v.length; attempt++) {
      for (const u of out) {
        const d = dot(v, u);
        for (let j = 0; j < v.length; j++) v[j] -= d * u[j];
      }
      const norm = Math.sqrt(dot(v, v));
      if (norm > 1e-12) {
        for (let j = 0; j < v.length; j++) v[j] /= norm;
        break;
      }
      v = new Float64Array(v.length);
      v[(out.length + attempt) % v.length] = 1;
    }
    out.push(v);
  }
  return out;
}

/**
 * The latent views' entries of the API contract (src-shared/api.ts spreads them into `api`). Inputs are validated
 * against these schemas in main and again in the latent process; the latent engine implements each under its name.
 */
export const latentApi = {
  /** Mean images of p(x|z) for the given codes (the explorer's sliders send one code per update). */
  latentDecode: method<LatentDecodeResult>()(latentDecodeInput),
  /** An n×n manifold over two latent dimensions as one image, with the axis values. */
  latentManifold: method<LatentManifoldResult>()(latentManifoldInput),
  latentPriorSamples: method<LatentPriorSamplesResult>()(latentPriorSamplesInput),
  /** μ of test images, labels and a 2-D projection (PCA above two dimensions) for the scatter view. */
  latentEncodeTest: method<LatentEncodeTestResult>()(latentEncodeTestInput),
  latentTestImages: method<LatentTestImagesResult>()(latentTestImagesInput),
  /** A row per latent dimension sweeping it over [−range, range], highest KL first, collapsed ones marked. */
  latentTraversals: method<LatentTraversalsResult>()(latentTraversalsInput),
  latentInterpolate: method<LatentInterpolateResult>()(latentInterpolateInput),
} as const;

export type LatentMethodName = keyof typeof latentApi;
export const latentMethodNames = Object.keys(latentApi) as LatentMethodName[];

export function isLatentMethodName(name: unknown): name is LatentMethodName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(latentApi, name);
}

/**
 * Keeps at most one request in flight and, while it runs, only the newest input waiting: a slider dragged faster than
 * the decoder answers skips the stale positions instead of queueing them, and the last position is always shown.
 */
export class LatestOnly<I, O> {
  private running = false;
  private waiting: { input: I } | null = null;

  constructor(
    private readonly run: (input: I) => Promise<O>,
    private readonly onResult: (output: O, input: I) => void,
    private readonly onError: (error: unknown, input: I) => void = () => undefined,
  ) {}

  /** True while a request is in flight. */
  get busy(): boolean {
    return this.running;
  }

  push(input: I): void {
    this.waiting = { input };
    if (!this.running) void this.drain();
  }

  private async drain(): Promise<void> {
    this.running = true;
    while (this.waiting !== null) {
      const { input } = this.waiting;
      this.waiting = null;
      try {
        this.onResult(await this.run(input), input);
      } catch (error) {
        this.onError(error, input);
      }
    }
    this.running = false;
  }
}
