import { z } from 'zod';

/**
 * One training run's configuration: everything the engine needs, nothing it derives.
 * The CLI flags, the UI form and the store columns are all generated from this schema,
 * so a value accepted in one place is accepted everywhere.
 */

export const DATASET_ID = /^[a-z0-9][a-z0-9_.-]{0,63}$/;

/** What a run is: a VAE, or a baseline fitted to the same data (PCA in closed form, a linear autoencoder trained). */
export const modelKinds = ['vae', 'pca', 'linear-ae'] as const;
export const architectures = ['mlp', 'conv'] as const;
export const likelihoods = ['bernoulli', 'gaussian'] as const;
export const betaSchedules = ['constant', 'linear', 'cyclical'] as const;
export const decoderVariances = ['fixed', 'learned-per-pixel', 'learned-shared'] as const;
export const initSchemes = ['he-glorot', 'pytorch'] as const;
export const binarizations = ['none', 'static', 'dynamic'] as const;
export const checkpointKeeps = ['all', 'last', 'best', 'last-and-best'] as const;

export type ModelKind = (typeof modelKinds)[number];
export type Architecture = (typeof architectures)[number];
export type Likelihood = (typeof likelihoods)[number];
export type BetaSchedule = (typeof betaSchedules)[number];
export type DecoderVariance = (typeof decoderVariances)[number];
export type InitScheme = (typeof initSchemes)[number];
export type Binarization = (typeof binarizations)[number];
export type CheckpointKeep = (typeof checkpointKeeps)[number];

const layerSizes = z
  .array(z.number().int().min(1).max(8192))
  .min(1, 'needs at least one layer')
  .max(8, 'at most 8 layers');

export const experimentConfigSchema = z
  .object({
    dataset: z.string().regex(DATASET_ID, 'a dataset id such as mnist, fashion-mnist or an imported name'),
    /** vae, or a baseline: pca (closed form, no training) or linear-ae (linear encoder and decoder, trained). */
    model: z.enum(modelKinds),
    architecture: z.enum(architectures),
    /** MLP hidden layer widths, encoder order; the decoder mirrors them. */
    hiddenSizes: layerSizes,
    /** Conv encoder channels per stride-2 layer (28 → 14 → 7); the decoder mirrors them. */
    convChannels: z.array(z.number().int().min(1).max(512)).min(1).max(2),
    latentDim: z.number().int().min(1).max(512),
    likelihood: z.enum(likelihoods),
    /** σ² of the Gaussian decoder p(x|z) = N(x̂(z), σ² I); used only with likelihood = gaussian. */
    gaussianVariance: z.number().gt(0).max(100),
    /** The Gaussian decoder's σ²: fixed at gaussianVariance, or learned (starting there), one per pixel or one shared. */
    decoderVariance: z.enum(decoderVariances),
    alpha: z.number().min(0).max(1000),
    beta: z.number().min(0).max(1000),
    betaSchedule: z.enum(betaSchedules),
    /** Epochs over which β rises linearly from 0 to its value (betaSchedule = linear). */
    betaWarmupEpochs: z.number().int().min(1).max(10000),
    /** Cycles M of the cyclical β schedule over the run's epochs (betaSchedule = cyclical). */
    betaCycles: z.number().int().min(1).max(10000),
    /** Fraction R of each cycle over which β rises from 0 to its value; it stays there for the rest (cyclical). */
    betaCycleRatio: z.number().gt(0).max(1),
    /** Importance samples k of the IWAE bound (Burda et al. 2016) trained on; 1 = the ELBO. */
    iwaeSamples: z.number().int().min(1).max(1000),
    /** Free bits λ in nats per latent dimension (Kingma et al. 2016): the KL term counts max(λ, KL_j); 0 = off. */
    freeBits: z.number().min(0).max(100),
    /** Monte-Carlo samples L of z per example. */
    mcSamples: z.number().int().min(1).max(64),
    /** Plain autoencoder: deterministic encoder z = μ(x), no KL term. */
    autoencoder: z.boolean(),
    /** Weight initialisation: He/Glorot uniform with zero biases, or PyTorch's nn.Linear/Conv2d default. */
    init: z.enum(initSchemes),
    learningRate: z.number().gt(0).max(1),
    batchSize: z.number().int().min(1).max(4096),
    epochs: z.number().int().min(1).max(10000),
    /** First N training examples (after a seeded shuffle); null = all. */
    trainSubset: z.number().int().min(1).nullable(),
    /** First N test examples; null = all. */
    testSubset: z.number().int().min(1).nullable(),
    binarization: z.enum(binarizations),
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 31 - 1),
    /** Save a checkpoint every k-th epoch (the last epoch is always saved). */
    checkpointEvery: z.number().int().min(1).max(10000),
    checkpointKeep: z.enum(checkpointKeeps),
  })
  .strict();

export type ExperimentConfig = z.infer<typeof experimentConfigSchema>;

/** The reference MLP VAE of the literature (784-512-20, batch 128, Adam 1e-3). */
export const defaultConfig: ExperimentConfig = {
  dataset: 'mnist',
  model: 'vae',
  architecture: 'mlp',
  hiddenSizes: [512],
  convChannels: [32, 64],
  latentDim: 20,
  likelihood: 'bernoulli',
  gaussianVariance: 0.1,
  decoderVariance: 'fixed',
  alpha: 1,
  beta: 1,
  betaSchedule: 'constant',
  betaWarmupEpochs: 10,
  betaCycles: 4,
  betaCycleRatio: 0.5,
  iwaeSamples: 1,
  freeBits: 0,
  mcSamples: 1,
  autoencoder: false,
  init: 'he-glorot',
  learningRate: 1e-3,
  batchSize: 128,
  epochs: 10,
  trainSubset: null,
  testSubset: null,
  binarization: 'none',
  seed: 0,
  checkpointEvery: 1,
  checkpointKeep: 'last-and-best',
};

export type ConfigKey = keyof ExperimentConfig;

/** β in force at a 1-based epoch under the run's schedule. */
export function betaAt(
  config: Pick<ExperimentConfig, 'beta' | 'betaSchedule' | 'betaWarmupEpochs'> &
    Partial<Pick<ExperimentConfig, 'epochs' | 'betaCycles' | 'betaCycleRatio'>>,
  epoch: number,
): number {
  if (config.betaSchedule === 'constant') return config.beta;
  if (config.betaSchedule === 'linear') return config.beta * Math.min(1, epoch / config.betaWarmupEpochs);
  const { epochs, betaCycles, betaCycleRatio } = config;
  if (epochs === undefined || betaCycles === undefined || betaCycleRatio === undefined) {
    throw new ConfigError('the cyclical β schedule needs epochs, betaCycles and betaCycleRatio');
  }
  // Fu et al. 2019, eq. 8 with t = epoch: τ = mod(t − 1, ⌈T/M⌉) / (T/M); β rises linearly while τ ≤ R, then holds.
  const period = epochs / betaCycles;
  const tau = ((epoch - 1) % Math.ceil(period)) / period;
  return config.beta * Math.min(1, tau / betaCycleRatio);
}

/** Fills defaults and validates; throws ConfigError naming every bad field. */
export function parseConfig(input: unknown): ExperimentConfig {
  const merged = typeof input === 'object' && input !== null ? { ...defaultConfig, ...input } : input;
  const result = experimentConfigSchema.safeParse(merged);
  if (!result.success) throw new ConfigError(formatIssues(result.error.issues, merged));
  return withModelKind(result.data);
}

/** A baseline: no stochastic encoder, no KL term, so no ELBO, no rate and no prior to sample from. */
export function isBaseline(config: Pick<ExperimentConfig, 'model'>): boolean {
  return config.model !== 'vae';
}

/**
 * The values a baseline's kind implies, written into its config so the stored run says what ran: both baselines have
 * a deterministic code (autoencoder, one sample, no IWAE, no free bits); PCA is one closed-form fit (one "epoch",
 * its checkpoint) with the decoder's σ² fixed. The parameter table's applies() hides the rest in forms and tables.
 */
export function withModelKind(config: ExperimentConfig): ExperimentConfig {
  if (config.model === 'vae') return config;
  const deterministic = { ...config, autoencoder: true, iwaeSamples: 1, mcSamples: 1, freeBits: 0 };
  if (config.model === 'linear-ae') return deterministic;
  return { ...deterministic, alpha: 1, epochs: 1, checkpointEvery: 1, decoderVariance: 'fixed' };
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function formatIssues(issues: readonly z.core.$ZodIssue[], input: unknown): string {
  return issues
    .map((issue) => {
      const path = issue.path.join('.');
      const value = valueAt(input, issue.path);
      const shown = value === undefined ? '' : ` = ${showValue(value)}`;
      return `${path || 'config'}${shown}: ${issue.message}`;
    })
    .join('; ');
}

/** The value as the researcher typed it, cut short: a hostile 1 MB string or a deeply nested value is not echoed. */
function showValue(value: unknown): string {
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = Array.isArray(value) ? 'an array' : typeof value === 'object' ? 'an object' : typeof value;
  }
  return text.length > 120 ? `${text.slice(0, 100)}… (${text.length} characters)` : text;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = input;
  for (const key of path) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur;
}
