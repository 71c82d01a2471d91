import * as tf from '@tensorflow/tfjs';
import type { ExperimentConfig } from '../../src-shared/config';
import type { NamedArray } from '../records';
import { conv4x4Stride2, upsample2Conv3x3 } from './conv';
import { dense, type Activation } from './dense';
import { hashString, rngFor, Stream } from './random';

/**
 * The VAE as data plus small functions, after pytorch/examples vae: encode x to q(z|x) = N(μ, diag σ²),
 * reparameterize, decode z to the logits of p(x|z). Every shape is derived from the config and the image size.
 * Weights have stable names ('enc/dense0/W', 'dec/out/b', …) so checkpoints load into any later build.
 */

export type ModelConfig = Pick<
  ExperimentConfig,
  | 'model'
  | 'architecture'
  | 'hiddenSizes'
  | 'convChannels'
  | 'latentDim'
  | 'likelihood'
  | 'gaussianVariance'
  | 'decoderVariance'
  | 'autoencoder'
  | 'init'
>;

export interface ImageShape {
  height: number;
  width: number;
}

export interface Param {
  /** Stable name, as stored in checkpoints. */
  name: string;
  variable: tf.Variable;
}

export interface VaeModel {
  config: ModelConfig;
  shape: ImageShape;
  /** Pixels per image, H·W: the decoder's output width. */
  pixels: number;
  /** In a fixed order: checkpoints and the optimizer state follow it. */
  params: Param[];
}

/** q(z|x) for a batch: μ and log σ², each [N, latentDim]. logVar is null for a deterministic (autoencoder) encoder. */
export interface Posterior {
  mu: tf.Tensor2D;
  logVar: tf.Tensor2D | null;
}

export class ModelError extends Error {
  override name = 'ModelError';
}

type Init = 'he' | 'glorot' | 'zeros' | 'pytorch' | 'logVariance';
interface ParamSpec {
  name: string;
  shape: [number, number] | [number];
  init: Init;
  fanIn: number;
  fanOut: number;
}

function layer(
  config: ModelConfig,
  prefix: string,
  fanIn: number,
  fanOut: number,
  activation: Activation,
): ParamSpec[] {
  // He init for ReLU layers (He et al. 2015), Glorot for linear ones (Glorot & Bengio 2010); biases start at 0.
  // PyTorch's nn.Linear / nn.Conv2d default draws weights and biases from U(±1/√fan_in) (kaiming_uniform with a = √5).
  const pytorch = config.init === 'pytorch';
  return [
    {
      name: `${prefix}/W`,
      shape: [fanIn, fanOut],
      init: pytorch ? 'pytorch' : activation === 'relu' ? 'he' : 'glorot',
      fanIn,
      fanOut,
    },
    { name: `${prefix}/b`, shape: [fanOut], init: pytorch ? 'pytorch' : 'zeros', fanIn, fanOut },
  ];
}

/** log σ² of a Gaussian decoder whose variance is learned: one per pixel or one shared; null when σ² is fixed. */
function decoderVarianceSpec(config: ModelConfig, pixels: number): ParamSpec | null {
  if (config.likelihood !== 'gaussian' || config.decoderVariance === 'fixed') return null;
  const size = config.decoderVariance === 'learned-per-pixel' ? pixels : 1;
  return { name: 'dec/logvar', shape: [size], init: 'logVariance', fanIn: size, fanOut: size };
}

/** Downsampling steps of the conv encoder: one per convChannels entry. */
function convGrid(config: ModelConfig, shape: ImageShape): { height: number; width: number; channels: number } {
  const factor = 2 ** config.convChannels.length;
  if (shape.height % factor !== 0 || shape.width % factor !== 0) {
    throw new ModelError(
      `the conv architecture with ${config.convChannels.length} stride-2 layers needs image height and width divisible by ${factor}, ` +
        `but the images are ${shape.height}×${shape.width}; use architecture 'mlp' or fewer convChannels`,
    );
  }
  return {
    height: shape.height / factor,
    width: shape.width / factor,
    channels: config.convChannels[config.convChannels.length - 1],
  };
}

/** Names, shapes and initialisers of every weight, in checkpoint order. */
export function paramSpecs(config: ModelConfig, shape: ImageShape): ParamSpec[] {
  if (!Number.isInteger(shape.height) || !Number.isInteger(shape.width) || shape.height < 1 || shape.width < 1) {
    throw new ModelError(
      `image shape ${shape.height}×${shape.width} is not valid: height and width must be positive integers`,
    );
  }
  const pixels = shape.height * shape.width;
  const j = config.latentDim;
  if (config.model !== 'vae') return linearSpecs(config, pixels);
  const specs: ParamSpec[] = [];
  let features: number;
  if (config.architecture === 'mlp') {
    let width = pixels;
    config.hiddenSizes.forEach((size, i) => {
      specs.push(...layer(config, `enc/dense${i}`, width, size, 'relu'));
      width = size;
    });
    features = width;
  } else {
    const grid = convGrid(config, shape);
    let channels = 1;
    config.convChannels.forEach((out, i) => {
      specs.push(...layer(config, `enc/conv${i}`, 16 * channels, out, 'relu'));
      channels = out;
    });
    features = grid.height * grid.width * grid.channels;
  }
  specs.push(...layer(config, 'enc/mu', features, j, 'linear'));
  if (!config.autoencoder) specs.push(...layer(config, 'enc/logvar', features, j, 'linear'));
  if (config.architecture === 'mlp') {
    let width = j;
    [...config.hiddenSizes].reverse().forEach((size, i) => {
      specs.push(...layer(config, `dec/dense${i}`, width, size, 'relu'));
      width = size;
    });
    specs.push(...layer(config, 'dec/out', width, pixels, 'linear'));
  } else {
    specs.push(...layer(config, 'dec/dense', j, features, 'relu'));
    const n = config.convChannels.length;
    for (let k = 0; k < n; k++) {
      const i = n - 1 - k;
      const out = i > 0 ? config.convChannels[i - 1] : 1;
      specs.push(...layer(config, `dec/conv${k}`, 9 * config.convChannels[i], out, i > 0 ? 'relu' : 'linear'));
    }
  }
  const variance = decoderVarianceSpec(config, pixels);
  if (variance !== null) specs.push(variance);
  return specs;
}

/**
 * The baselines' model: z = x·W_enc + b_enc and out = z·W_dec + b_dec, nothing in between (a deterministic code).
 * For the linear autoencoder `out` are the logits of p(x|z), as for the VAE; for PCA it is x̂ itself (see decode).
 */
function linearSpecs(config: ModelConfig, pixels: number): ParamSpec[] {
  if (config.model === 'pca' && config.latentDim > pixels) {
    throw new ModelError(
      `latentDim = ${config.latentDim}: PCA of ${pixels}-pixel images has at most ${pixels} components; use latentDim ≤ ${pixels}`,
    );
  }
  const specs = layer(config, 'enc/mu', pixels, config.latentDim, 'linear');
  specs.push(...layer(config, 'dec/out', config.latentDim, pixels, 'linear'));
  const variance = decoderVarianceSpec(config, pixels);
  if (variance !== null) specs.push(variance);
  return specs;
}

/**
 * PCA's reconstruction x̂ is a pixel value, possibly outside [0, 1]; it is clipped to [ε, 1 − ε] so the Bernoulli
 * likelihood (and the image) are defined. A pixel the fit misses entirely (x = 1, x̂ ≤ 0) costs −log ε ≈ 9.2 nats.
 */
export const PCA_CLIP = 1e-4;

function initialValues(spec: ParamSpec, seed: number, config: ModelConfig): Float32Array {
  const size = spec.shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(size);
  if (spec.init === 'zeros') return values;
  // A learned σ² starts at the configured one.
  if (spec.init === 'logVariance') return values.fill(Math.log(config.gaussianVariance));
  const limit =
    spec.init === 'he'
      ? Math.sqrt(6 / spec.fanIn)
      : spec.init === 'pytorch'
        ? 1 / Math.sqrt(spec.fanIn)
        : Math.sqrt(6 / (spec.fanIn + spec.fanOut));
  const rng = rngFor(seed, Stream.init, hashString(spec.name));
  for (let i = 0; i < size; i++) values[i] = (2 * rng.uniform() - 1) * limit;
  return values;
}

// TF.js variable names are global to the engine; two models (a run and a checkpoint opened for a view) must not clash.
let modelCounter = 0;

function makeModel(config: ModelConfig, shape: ImageShape, values: (spec: ParamSpec) => Float32Array): VaeModel {
  const specs = paramSpecs(config, shape);
  const id = ++modelCounter;
  const params = specs.map((spec) => {
    const initial = tf.tensor(values(spec), spec.shape);
    const variable = tf.variable(initial, true, `vae${id}/${spec.name}`);
    initial.dispose();
    return { name: spec.name, variable };
  });
  return { config: pickModelConfig(config), shape: { ...shape }, pixels: shape.height * shape.width, params };
}

function pickModelConfig(config: ModelConfig): ModelConfig {
  const {
    model: kind,
    architecture,
    hiddenSizes,
    convChannels,
    latentDim,
    likelihood,
    gaussianVariance,
    decoderVariance,
  } = config;
  return {
    model: kind ?? 'vae',
    architecture,
    hiddenSizes: [...hiddenSizes],
    convChannels: [...convChannels],
    latentDim,
    likelihood,
    gaussianVariance,
    decoderVariance,
    autoencoder: config.autoencoder,
    init: config.init,
  };
}

export interface BuildModelOptions {
  config: ModelConfig;
  shape: ImageShape;
  /** Seeds the weight initialisation; each weight draws from its own stream keyed by its name. */
  seed: number;
}

/** A freshly initialised model. */
export function buildModel(options: BuildModelOptions): VaeModel {
  return makeModel(options.config, options.shape, (spec) => initialValues(spec, options.seed, options.config));
}

/** The weights buildModel starts from, without TF.js: what a checkpoint of an untrained model holds. */
export function initialWeights(options: BuildModelOptions): NamedArray[] {
  return paramSpecs(options.config, options.shape).map((spec) => ({
    name: spec.name,
    shape: [...spec.shape],
    data: initialValues(spec, options.seed, options.config),
  }));
}

/** A model with a checkpoint's weights, e.g. to encode or decode for the latent-space views. */
export function loadModel(config: ModelConfig, shape: ImageShape, weights: NamedArray[]): VaeModel {
  const byName = new Map(weights.map((w) => [w.name, w]));
  const specs = paramSpecs(config, shape);
  for (const spec of specs) checkWeight(spec, byName.get(spec.name));
  const expected = new Set(specs.map((s) => s.name));
  const extra = weights.filter((w) => !expected.has(w.name)).map((w) => w.name);
  if (extra.length > 0) {
    throw new ModelError(
      `checkpoint has weights this model does not: ${extra.join(', ')}; was it saved with another architecture or latentDim?`,
    );
  }
  return makeModel(config, shape, (spec) => byName.get(spec.name)!.data);
}

function checkWeight(spec: ParamSpec, weight: NamedArray | undefined): void {
  if (weight === undefined) {
    throw new ModelError(
      `checkpoint has no weight '${spec.name}' (shape [${spec.shape.join(', ')}]); was it saved with another architecture?`,
    );
  }
  const same = weight.shape.length === spec.shape.length && weight.shape.every((d, i) => d === spec.shape[i]);
  const size = spec.shape.reduce((a, b) => a * b, 1);
  if (!same || weight.data.length !== size) {
    throw new ModelError(
      `checkpoint weight '${spec.name}' has shape [${weight.shape.join(', ')}] (${weight.data.length} values) but this model needs [${spec.shape.join(', ')}]`,
    );
  }
}

/** Copies the weights out as plain arrays, in checkpoint order (read asynchronously, as webgpu in Node needs). */
export async function modelWeights(model: VaeModel): Promise<NamedArray[]> {
  return Promise.all(
    model.params.map(async ({ name, variable }) => ({
      name,
      shape: [...variable.shape],
      data: ((await variable.data()) as Float32Array).slice(),
    })),
  );
}

/** Replaces the weights (through variable.assign: the wasm backend caches packed weights by tensor, never write in place). */
export function setModelWeights(model: VaeModel, weights: NamedArray[]): void {
  const byName = new Map(weights.map((w) => [w.name, w]));
  const specs = paramSpecs(model.config, model.shape);
  specs.forEach((spec) => checkWeight(spec, byName.get(spec.name)));
  tf.tidy(() => {
    for (const { name, variable } of model.params) {
      const w = byName.get(name)!;
      variable.assign(tf.tensor(w.data, w.shape));
    }
  });
}

export function disposeModel(model: VaeModel): void {
  for (const { variable } of model.params) variable.dispose();
}

function weight(model: VaeModel, name: string): tf.Variable {
  const param = model.params.find((p) => p.name === name);
  if (param === undefined) throw new ModelError(`model has no weight '${name}'`);
  return param.variable;
}

function apply(
  model: VaeModel,
  prefix: string,
  x: tf.Tensor2D,
  activation: Activation,
  inputNeedsGrad = true,
): tf.Tensor2D {
  return dense(x, weight(model, `${prefix}/W`) as tf.Tensor2D, weight(model, `${prefix}/b`) as tf.Tensor1D, {
    activation,
    inputNeedsGrad,
  });
}

/** q(z|x) for a batch of images x [N, H·W] with pixels in [0, 1]. */
export function encode(model: VaeModel, x: tf.Tensor2D): Posterior {
  if (x.shape[1] !== model.pixels) {
    throw new ModelError(
      `encode: images have ${x.shape[1]} pixels but the model takes ${model.shape.height}×${model.shape.width} = ${model.pixels}`,
    );
  }
  if (model.config.model !== 'vae') return { mu: apply(model, 'enc/mu', x, 'linear', false), logVar: null };
  let h: tf.Tensor2D;
  if (model.config.architecture === 'mlp') {
    h = x;
    model.config.hiddenSizes.forEach((_, i) => {
      h = apply(model, `enc/dense${i}`, h, 'relu', i > 0);
    });
  } else {
    let maps = tf.reshape(x, [x.shape[0], model.shape.height, model.shape.width, 1]) as tf.Tensor4D;
    model.config.convChannels.forEach((_, i) => {
      const W = weight(model, `enc/conv${i}/W`) as tf.Tensor2D;
      const b = weight(model, `enc/conv${i}/b`) as tf.Tensor1D;
      maps = conv4x4Stride2(maps, W, b, { activation: 'relu', inputNeedsGrad: i > 0 });
    });
    h = tf.reshape(maps, [x.shape[0], -1]) as tf.Tensor2D;
  }
  const mu = apply(model, 'enc/mu', h, 'linear');
  const logVar = model.config.autoencoder ? null : apply(model, 'enc/logvar', h, 'linear');
  return { mu, logVar };
}

/** z = μ + σ ⊙ ε with σ = exp(½ log σ²) (Kingma & Welling 2014, eq. 10). eps is [L·N, J] for L samples per example
 * (sample-major: rows l·N … l·N + N − 1 are sample l); μ and log σ² are repeated to match. */
export function reparameterize(posterior: Posterior, eps: tf.Tensor2D): tf.Tensor2D {
  const { mu, logVar } = posterior;
  if (logVar === null) return mu;
  const samples = eps.shape[0] / mu.shape[0];
  if (!Number.isInteger(samples) || eps.shape[1] !== mu.shape[1]) {
    throw new ModelError(
      `reparameterize: ε is [${eps.shape.join(', ')}] but μ is [${mu.shape.join(', ')}]; ε must be [L·N, latentDim]`,
    );
  }
  const sigma = tf.exp(tf.mul(logVar, 0.5));
  if (samples === 1) return tf.add(mu, tf.mul(sigma, eps));
  return tf.add(tf.tile(mu, [samples, 1]), tf.mul(tf.tile(sigma, [samples, 1]), eps));
}

/** Logits of p(x|z) for z [N, latentDim]: [N, H·W]. The mean image is sigmoid(logits) for either likelihood. */
export function decode(model: VaeModel, z: tf.Tensor2D): tf.Tensor2D {
  if (z.shape[1] !== model.config.latentDim) {
    throw new ModelError(
      `decode: z has ${z.shape[1]} dimensions but the model's latentDim is ${model.config.latentDim}`,
    );
  }
  if (model.config.model === 'pca') {
    // x̂ = z·W_dec + μ, clipped and written as logits, so every likelihood, image and view downstream reads it as it
    // reads a decoder's output: sigmoid(logit(p)) = p, and the Bernoulli NLL on these logits is −Σ x log p + (1−x) log(1−p).
    const p = tf.clipByValue(apply(model, 'dec/out', z, 'linear'), PCA_CLIP, 1 - PCA_CLIP);
    return tf.sub(tf.log(p), tf.log1p(tf.neg(p)));
  }
  if (model.config.model === 'linear-ae') return apply(model, 'dec/out', z, 'linear');
  if (model.config.architecture === 'mlp') {
    let h = z;
    model.config.hiddenSizes.forEach((_, i) => {
      h = apply(model, `dec/dense${i}`, h, 'relu');
    });
    return apply(model, 'dec/out', h, 'linear');
  }
  const grid = convGrid(model.config, model.shape);
  const h = apply(model, 'dec/dense', z, 'relu');
  let maps = tf.reshape(h, [z.shape[0], grid.height, grid.width, grid.channels]) as tf.Tensor4D;
  const n = model.config.convChannels.length;
  for (let k = 0; k < n; k++) {
    const W = weight(model, `dec/conv${k}/W`) as tf.Tensor2D;
    const b = weight(model, `dec/conv${k}/b`) as tf.Tensor1D;
    maps = upsample2Conv3x3(maps, W, b, { activation: k < n - 1 ? 'relu' : 'linear' });
  }
  return tf.reshape(maps, [z.shape[0], model.pixels]) as tf.Tensor2D;
}

/** log σ² of a learned-variance Gaussian decoder ([H·W] or [1]); null when σ² is fixed or the decoder is Bernoulli. */
export function decoderLogVariance(model: VaeModel): tf.Tensor1D | null {
  const param = model.params.find((p) => p.name === 'dec/logvar');
  return param === undefined ? null : (param.variable as tf.Tensor1D);
}

/** Mean of p(x|z): Bernoulli probabilities, or the Gaussian mean (a sigmoid keeps it in the pixel range [0, 1]). */
export function decoderMean(logits: tf.Tensor2D): tf.Tensor2D {
  return tf.sigmoid(logits);
}

/** Number of trainable values. */
export function parameterCount(model: VaeModel): number {
  return model.params.reduce((sum, p) => sum + p.variable.size, 0);
}
