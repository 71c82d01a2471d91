import { deterministicKind, hasElbo } from '../../src-shared/baselines';
import * as tf from '@tensorflow/tfjs';
import type { MethodInputParsed, MethodOutput } from '../../src-shared/api';
import { formatIssues, type ExperimentConfig } from '../../src-shared/config';
import { manifoldCodes, gridAxis } from '../../src-shared/gaussian';
import {
  isLatentMethodName,
  latentApi,
  latentMethodNames,
  lerpCodes,
  orderDimsByKl,
  pca2,
  sweepValues,
  type LatentEncodeTestResult,
  type LatentMethodName,
} from '../../src-shared/latent';
import type { ImageSplit } from '../records';
import { DatasetIdError } from '../data/dataset';
import { resolveDatasetSource } from '../catalog/datasets';
import { toApiError } from '../api/errors';
import { loadTestSplit } from '../data/load';
import { listCheckpoints, loadCheckpoint } from '../store/checkpoints';
import { openDatabase, type Database } from '../store/db';
import { getEpochImages, getLatentStats } from '../store/metrics';
import { getRun } from '../store/runs';
import { gatherExamples, testPixelMode } from '../training/data';
import {
  decode,
  decoderMean,
  disposeModel,
  encode,
  loadModel,
  type ImageShape,
  type VaeModel,
} from '../training/model';
import { fillNormal, rngFor, Stream } from '../training/random';
import { LatentError, type NllRequest } from './protocol';
import { testSplitNll } from '../training/nll';

/**
 * Answers the latent-space views' requests from one SQLite file, one public function per latent method of the API
 * contract, under the contract's name: loads a run's checkpoint into a model (kept in a small LRU by run, epoch and
 * checkpoint time), decodes and encodes with TF.js, and returns plain images and codes. Pure request → result, with
 * no process around it: worker.ts runs it in the latent process, the CLI and tests run it in-process. Every tensor is
 * made inside tf.tidy or disposed, so tf.memory().numTensors stays flat across requests.
 */

/** Each latent method of the contract, taking its validated input: a method without a function here does not compile. */
export type LatentEngineMethods = {
  [M in LatentMethodName]: (input: MethodInputParsed<M>) => Promise<MethodOutput<M>>;
};

export interface LatentEngineOptions {
  dbPath: string;
  /** Models kept loaded: about 3.3 MB each for the reference MLP (835k weights); the side-by-side view shows several. */
  modelCacheSize?: number;
}

interface LoadedModel {
  key: string;
  runId: number;
  epoch: number;
  config: ExperimentConfig;
  model: VaeModel;
}

/** Decodes at most this many codes per TF.js call: bounds the activations' memory on conv decoders. */
const DECODE_CHUNK = 1024;
const ENCODE_CHUNK = 1000;

export class LatentEngine implements LatentEngineMethods {
  private db: Database | null = null;
  private readonly models: LoadedModel[] = [];
  /** Test splits by dataset id, most recent last; two cover a side-by-side across datasets without holding many. */
  private readonly testSplits: { id: string; split: ImageSplit }[] = [];
  private readonly cacheSize: number;

  constructor(private readonly options: LatentEngineOptions) {
    this.cacheSize = options.modelCacheSize ?? 6;
  }

  /** Runs one request by its contract name; throws LatentError (or an engine error) naming what was wrong. */
  async handle<M extends LatentMethodName>(method: M, input: unknown): Promise<MethodOutput<M>> {
    if (!isLatentMethodName(method)) {
      throw new LatentError(
        'ValidationError',
        `${JSON.stringify(method)} is not a latent request; allowed: ${latentMethodNames.join(', ')}`,
      );
    }
    const parsed = latentApi[method].input.safeParse(input);
    if (!parsed.success)
      throw new LatentError('ValidationError', `${method}: ${formatIssues(parsed.error.issues, input)}`);
    const run = this[method] as (input: unknown) => Promise<MethodOutput<M>>;
    try {
      return await run.call(this, parsed.data);
    } catch (error) {
      throw translate(error);
    }
  }

  close(): void {
    for (const entry of this.models.splice(0)) disposeModel(entry.model);
    this.testSplits.length = 0;
    this.db?.close();
    this.db = null;
  }

  /** Models currently loaded, as "runId@epoch", least recently used first (for tests and diagnostics). */
  loadedModels(): string[] {
    return this.models.map((m) => `${m.runId}@${m.epoch}`);
  }

  private database(): Database {
    this.db ??= openDatabase(this.options.dbPath, { readonly: true });
    return this.db;
  }

  /**
   * The importance-sampled test NLL of a checkpoint (the newest when no epoch is given). Not a latent view: it runs
   * here because this process already owns TF.js and reads checkpoints; main stores the result (this side is read-only).
   */
  async estimateTestNll(
    input: NllRequest,
    onProgress: (epoch: number, done: number, total: number) => void,
  ): Promise<{ runId: number; epoch: number; k: number; count: number; nll: number }> {
    const run = this.requireRun(input.runId);
    if (run.config.autoencoder) {
      throw new LatentError(
        'ValidationError',
        `run ${run.id} is ${deterministicKind(run.config)}: the importance-sampled NLL needs a stochastic encoder q(z|x)`,
      );
    }
    const stored = loadCheckpoint(this.database(), run.id, input.epoch);
    if (!stored) {
      throw new LatentError(
        'NotFound',
        input.epoch === undefined
          ? `run ${run.id} has no checkpoint yet; it gets one when its first epoch finishes`
          : `run ${run.id} has no checkpoint at epoch ${input.epoch}`,
      );
    }
    const split = await this.testSplitOf(run.config);
    onProgress(stored.epoch, 0, 0);
    const { nll, count } = await testSplitNll(run.config, stored.weights, split, {
      k: input.k,
      examples: input.examples,
      onProgress: (done, total) => onProgress(stored.epoch, done, total),
    });
    return { runId: run.id, epoch: stored.epoch, k: input.k, count, nll };
  }

  // ── requests ────────────────────────────────────────────────────────────────────────────────────────────────

  async latentDecode(input: MethodInputParsed<'latentDecode'>): Promise<MethodOutput<'latentDecode'>> {
    const loaded = await this.model(input.runId, input.epoch);
    const J = loaded.config.latentDim;
    input.codes.forEach((code, i) => {
      if (code.length !== J) {
        throw new LatentError(
          'ValidationError',
          `latentDecode: codes[${i}] has ${code.length} values but run ${input.runId} has latentDim ${J}; give ${J} per code`,
        );
      }
    });
    return { ...this.imageFrame(loaded), images: await this.decodeImages(loaded.model, input.codes) };
  }

  async latentManifold(input: MethodInputParsed<'latentManifold'>): Promise<MethodOutput<'latentManifold'>> {
    const loaded = await this.model(input.runId, input.epoch);
    const J = loaded.config.latentDim;
    const [dx, dy] = input.dims;
    if (J < 2)
      throw new LatentError(
        'ValidationError',
        `latentManifold: run ${input.runId} has latentDim 1; a manifold needs two latent dimensions`,
      );
    if (dx >= J || dy >= J || dx === dy) {
      throw new LatentError(
        'ValidationError',
        `latentManifold: dims = [${dx}, ${dy}]; allowed: two different dimensions from 0 to ${J - 1} (run ${input.runId} has latentDim ${J})`,
      );
    }
    const base = this.baseCode(input.base, J, 'latentManifold', input.runId);
    const codes = manifoldCodes({ n: input.n, dims: [dx, dy], base, spacing: input.spacing, r: input.r });
    const axis = gridAxis(input.n, input.spacing, input.r);
    const { width, height } = loaded.model.shape;
    const n = input.n;
    const gridWidth = n * width;
    const pixels = new Uint8Array(gridWidth * n * height);
    const tiles = await this.decodeImages(loaded.model, codes);
    tiles.forEach((tile, i) => {
      const ox = (i % n) * width;
      const oy = Math.floor(i / n) * height;
      for (let y = 0; y < height; y++) pixels.set(tile.subarray(y * width, (y + 1) * width), (oy + y) * gridWidth + ox);
    });
    return {
      runId: loaded.runId,
      epoch: loaded.epoch,
      n,
      dims: [dx, dy],
      spacing: input.spacing,
      tileWidth: width,
      tileHeight: height,
      grid: { width: gridWidth, height: n * height, pixels },
      xValues: axis,
      yValues: [...axis].reverse(),
      base,
    };
  }

  async latentPriorSamples(
    input: MethodInputParsed<'latentPriorSamples'>,
  ): Promise<MethodOutput<'latentPriorSamples'>> {
    const kind = this.requireRun(input.runId).config;
    if (!hasElbo(kind)) {
      throw new LatentError(
        'ValidationError',
        `run ${input.runId} is ${deterministicKind(kind)}: it has no prior p(z), so sampling does not apply; its manifold, scatter and traversals decode chosen codes`,
      );
    }
    const loaded = await this.model(input.runId, input.epoch);
    const J = loaded.config.latentDim;
    // z ~ N(0, I) from the prior-samples stream keyed by the request's seed: the same seed draws the same codes.
    const eps = fillNormal(rngFor(input.seed, Stream.priorSamples, 0x1a7e), new Float32Array(input.count * J));
    const codes = Array.from({ length: input.count }, (_, i) => Array.from(eps.subarray(i * J, (i + 1) * J)));
    return { ...this.imageFrame(loaded), codes, images: await this.decodeImages(loaded.model, codes) };
  }

  async latentEncodeTest(input: MethodInputParsed<'latentEncodeTest'>): Promise<MethodOutput<'latentEncodeTest'>> {
    const loaded = await this.model(input.runId, input.epoch);
    const split = await this.testSplit(loaded);
    if (input.offset >= split.count) {
      throw new LatentError(
        'ValidationError',
        `latentEncodeTest: offset = ${input.offset} but the test split of ${loaded.config.dataset} has ${split.count} images (0–${split.count - 1})`,
      );
    }
    const end = Math.min(split.count, input.offset + input.count);
    const indices = Array.from({ length: end - input.offset }, (_, i) => input.offset + i);
    const mu = await this.encodeMeans(loaded, split, indices);
    const J = loaded.config.latentDim;
    let projection: LatentEncodeTestResult['projection'];
    // PCA's codes are already its principal components, in order: draw the first two as they are.
    if (J <= 2 || loaded.config.model === 'pca') {
      const variances = columnVariances(mu, J);
      const total = variances.reduce((a, b) => a + b, 0);
      projection = {
        kind: 'direct',
        points: mu.map((m): [number, number] => [m[0], J >= 2 ? m[1] : 0]),
        explained: J >= 2 && total > 0 ? [variances[0] / total, variances[1] / total] : [1, 0],
        components: null,
      };
    } else if (mu.length < 2) {
      projection = { kind: 'pca', points: mu.map(() => [0, 0]), explained: [0, 0], components: null };
    } else {
      const pca = pca2(mu);
      const total = pca.totalVariance;
      projection = {
        kind: 'pca',
        points: pca.points.map(([x, y]): [number, number] => [round4(x), round4(y)]),
        explained: total > 0 ? [pca.variances[0] / total, pca.variances[1] / total] : [0, 0],
        components: pca.components,
      };
    }
    return {
      runId: loaded.runId,
      epoch: loaded.epoch,
      latentDim: J,
      indices,
      labels: indices.map((i) => split.labels[i]),
      mu,
      projection,
    };
  }

  async latentTestImages(input: MethodInputParsed<'latentTestImages'>): Promise<MethodOutput<'latentTestImages'>> {
    const run = this.requireRun(input.runId);
    const split = await this.testSplitOf(run.config);
    this.checkTestIndices(input.indices, split, 'latentTestImages', 'indices', run.config.dataset);
    return {
      runId: input.runId,
      width: split.width,
      height: split.height,
      indices: [...input.indices],
      labels: input.indices.map((i) => split.labels[i]),
      images: input.indices.map((i) => testImage(split, i)),
    };
  }

  async latentTraversals(input: MethodInputParsed<'latentTraversals'>): Promise<MethodOutput<'latentTraversals'>> {
    const loaded = await this.model(input.runId, input.epoch);
    const J = loaded.config.latentDim;
    const base = this.baseCode(input.base, J, 'latentTraversals', input.runId);
    const values = sweepValues(input.steps, input.range);
    const stats = getLatentStats(this.database(), loaded.runId).find((s) => s.epoch === loaded.epoch);
    const kl = stats?.klPerDim.length === J ? stats.klPerDim : new Array<number>(J).fill(Number.NaN);
    // A baseline has no KL to order by: its dimensions keep their order (PCA's: by decreasing variance), none collapsed.
    const order = hasElbo(loaded.config)
      ? orderDimsByKl(kl)
      : Array.from({ length: J }, (_, dim) => ({ dim, kl: Number.NaN, collapsed: false }));
    const codes = order.flatMap(({ dim }) =>
      values.map((v) => {
        const z = [...base];
        z[dim] = v;
        return z;
      }),
    );
    const images = await this.decodeImages(loaded.model, codes);
    const steps = values.length;
    return {
      ...this.imageFrame(loaded),
      values,
      base,
      rows: order.map((row, r) => ({ ...row, images: images.slice(r * steps, (r + 1) * steps) })),
    };
  }

  async latentInterpolate(input: MethodInputParsed<'latentInterpolate'>): Promise<MethodOutput<'latentInterpolate'>> {
    const loaded = await this.model(input.runId, input.epoch);
    const split = await this.testSplit(loaded);
    this.checkTestIndices([input.from], split, 'latentInterpolate', 'from', loaded.config.dataset);
    this.checkTestIndices([input.to], split, 'latentInterpolate', 'to', loaded.config.dataset);
    const [a, b] = await this.encodeMeans(loaded, split, [input.from, input.to]);
    const codes = lerpCodes(a, b, input.steps);
    return {
      ...this.imageFrame(loaded),
      images: await this.decodeImages(loaded.model, codes),
      from: input.from,
      to: input.to,
      codes,
      endpoints: [testImage(split, input.from), testImage(split, input.to)],
    };
  }

  // ── models, datasets ────────────────────────────────────────────────────────────────────────────────────────

  private requireRun(runId: number) {
    const run = getRun(this.database(), runId);
    if (!run) throw new LatentError('NotFound', `runId = ${runId}: no such run`);
    return run;
  }

  /** The run's checkpoint at `epoch` (newest when absent) as a loaded model, from the cache when it is there. */
  private async model(runId: number, epoch: number | undefined): Promise<LoadedModel> {
    const db = this.database();
    const run = this.requireRun(runId);
    const checkpoints = listCheckpoints(db, runId);
    const checkpoint = epoch === undefined ? checkpoints.at(-1) : checkpoints.find((c) => c.epoch === epoch);
    if (!checkpoint) {
      if (epoch === undefined) {
        throw new LatentError(
          'NotFound',
          `run ${runId} ("${run.name}", ${run.status}) has no checkpoint yet; it gets one when its first epoch finishes`,
        );
      }
      const epochs = checkpoints.map((c) => c.epoch).join(', ');
      throw new LatentError(
        'NotFound',
        `run ${runId} has no checkpoint at epoch ${epoch}; stored checkpoints: ${epochs || 'none'}`,
      );
    }
    // The checkpoint's time is part of the key: a rewound and retrained run stores a new checkpoint at the same epoch.
    const key = `${runId}@${checkpoint.epoch}@${checkpoint.createdAt}`;
    const at = this.models.findIndex((m) => m.key === key);
    if (at >= 0) {
      const [hit] = this.models.splice(at, 1);
      this.models.push(hit);
      return hit;
    }
    const stored = loadCheckpoint(db, runId, checkpoint.epoch);
    if (!stored)
      throw new LatentError('NotFound', `run ${runId}'s checkpoint at epoch ${checkpoint.epoch} was deleted`);
    const shape = await this.imageShape(runId, checkpoint.epoch, run.config);
    const model = loadModel(run.config, shape, stored.weights);
    const loaded: LoadedModel = { key, runId, epoch: checkpoint.epoch, config: run.config, model };
    this.models.push(loaded);
    while (this.models.length > this.cacheSize) disposeModel(this.models.shift()!.model);
    return loaded;
  }

  /** The run's image size: stored with every epoch's image strips; the dataset's header if those are missing. */
  private async imageShape(runId: number, epoch: number, config: ExperimentConfig): Promise<ImageShape> {
    const images = getEpochImages(this.database(), runId, epoch);
    if (images && images.width > 0 && images.height > 0) return { width: images.width, height: images.height };
    const split = await this.testSplitOf(config);
    return { width: split.width, height: split.height };
  }

  private imageFrame(loaded: LoadedModel): { runId: number; epoch: number; width: number; height: number } {
    return {
      runId: loaded.runId,
      epoch: loaded.epoch,
      width: loaded.model.shape.width,
      height: loaded.model.shape.height,
    };
  }

  private baseCode(base: 'zero' | number[], latentDim: number, method: string, runId: number): number[] {
    if (base === 'zero') return new Array<number>(latentDim).fill(0);
    if (base.length !== latentDim) {
      throw new LatentError(
        'ValidationError',
        `${method}: base has ${base.length} values but run ${runId} has latentDim ${latentDim}; give ${latentDim} or 'zero'`,
      );
    }
    return [...base];
  }

  private async testSplit(loaded: LoadedModel): Promise<ImageSplit> {
    const split = await this.testSplitOf(loaded.config);
    if (split.width !== loaded.model.shape.width || split.height !== loaded.model.shape.height) {
      throw new LatentError(
        'ValidationError',
        `dataset ${loaded.config.dataset} now has ${split.width}×${split.height} images but run ${loaded.runId} was trained on ${loaded.model.shape.width}×${loaded.model.shape.height}`,
      );
    }
    return split;
  }

  /** The test split of a run's dataset (the train split is never loaded); the last two are kept. */
  private async testSplitOf(config: ExperimentConfig): Promise<ImageSplit> {
    const cached = this.testSplits.find((t) => t.id === config.dataset);
    if (cached) return cached.split;
    const split = await loadTestSplit(resolveDatasetSource(this.database(), this.options.dbPath, config.dataset));
    this.testSplits.push({ id: config.dataset, split });
    if (this.testSplits.length > 2) this.testSplits.shift();
    return split;
  }

  private checkTestIndices(
    indices: readonly number[],
    split: ImageSplit,
    method: string,
    field: string,
    dataset: string,
  ): void {
    for (const i of indices) {
      if (i >= split.count) {
        throw new LatentError(
          'ValidationError',
          `${method}: ${field} = ${i} but the test split of ${dataset} has ${split.count} images (0–${split.count - 1})`,
        );
      }
    }
  }

  // ── TF.js ───────────────────────────────────────────────────────────────────────────────────────────────────

  /** Mean images of p(x|z), 0–255 grey, one per code. */
  private async decodeImages(model: VaeModel, codes: readonly (readonly number[])[]): Promise<Uint8Array[]> {
    const J = model.config.latentDim;
    const pixels = model.pixels;
    const out: Uint8Array[] = [];
    for (let start = 0; start < codes.length; start += DECODE_CHUNK) {
      const chunk = codes.slice(start, start + DECODE_CHUNK);
      const flat = new Float32Array(chunk.length * J);
      chunk.forEach((code, i) => flat.set(code, i * J));
      const scaled = tf.tidy(() => tf.mul(decoderMean(decode(model, tf.tensor2d(flat, [chunk.length, J]))), 255));
      // Read asynchronously: synchronous reads throw on the webgpu backend in Node.
      let values: Float32Array;
      try {
        values = (await scaled.data()) as Float32Array;
      } finally {
        scaled.dispose();
      }
      // Uint8ClampedArray rounds to nearest and clamps: exactly the 0–255 conversion wanted.
      const bytes = new Uint8Array(Uint8ClampedArray.from(values).buffer);
      for (let i = 0; i < chunk.length; i++) out.push(bytes.slice(i * pixels, (i + 1) * pixels));
    }
    return out;
  }

  /**
   * E_q[z|x] of test examples, to four decimals: far below what a scatter plot or a decoder can show, and it keeps
   * 10,000 points' JSON small. Encoded from the pixels the run's test metrics saw (binarized the same way, if it was).
   */
  private async encodeMeans(loaded: LoadedModel, split: ImageSplit, indices: readonly number[]): Promise<number[][]> {
    const J = loaded.config.latentDim;
    const pixels = loaded.model.pixels;
    const mode = testPixelMode(loaded.config.binarization, loaded.config.seed);
    const mu: number[][] = [];
    for (let start = 0; start < indices.length; start += ENCODE_CHUNK) {
      const chunk = indices.slice(start, start + ENCODE_CHUNK);
      const x = gatherExamples(split, chunk, mode);
      const means = tf.tidy(() => {
        const posterior = encode(loaded.model, tf.tensor2d(x, [chunk.length, pixels]));
        return posterior.mu;
      });
      let values: Float32Array;
      try {
        values = (await means.data()) as Float32Array;
      } finally {
        means.dispose();
      }
      for (let i = 0; i < chunk.length; i++) mu.push(Array.from(values.subarray(i * J, (i + 1) * J), round4));
    }
    return mu;
  }
}

function round4(v: number): number {
  return Math.round(v * 1e4) / 1e4;
}

function testImage(split: ImageSplit, index: number): Uint8Array {
  const size = split.width * split.height;
  return split.images.slice(index * size, (index + 1) * size);
}

function columnVariances(rows: readonly number[][], dim: number): number[] {
  const n = rows.length;
  if (n < 2) return new Array<number>(dim).fill(0);
  return Array.from({ length: dim }, (_, j) => {
    const mean = rows.reduce((s, r) => s + r[j], 0) / n;
    return rows.reduce((s, r) => s + (r[j] - mean) ** 2, 0) / (n - 1);
  });
}

/**
 * Store, dataset and model failures keep their message and get the name the API uses for them. A dataset id here is
 * one a stored run names, so a bad one means the dataset is gone.
 */
function translate(error: unknown): Error {
  if (error instanceof DatasetIdError) return new LatentError('NotFound', error.message);
  // LatentError, DatasetError, ModelError (a checkpoint that does not fit its run's config) keep their own names.
  return toApiError(error);
}
