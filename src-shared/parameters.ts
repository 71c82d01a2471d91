import type { ConfigKey, ExperimentConfig } from './config';

/** How parameters are named and shown, the same in the window, legends and reports. */

/** Learning rates and other values that span decades. */
export function sci(value: number): string {
  if (value === 0) return '0';
  const abs = Math.abs(value);
  return abs >= 0.01 && abs < 1000 ? String(Number(value.toPrecision(3))) : value.toExponential(0).replace('e-', 'e−');
}

/** How a parameter is named in legends and headers. */
export const paramLabels: Record<ConfigKey, string> = {
  dataset: 'dataset',
  architecture: 'architecture',
  hiddenSizes: 'hidden',
  convChannels: 'channels',
  latentDim: 'latent dim',
  likelihood: 'likelihood',
  gaussianVariance: 'σ²',
  alpha: 'α',
  beta: 'β',
  betaSchedule: 'β schedule',
  betaWarmupEpochs: 'β warm-up',
  mcSamples: 'L',
  autoencoder: 'autoencoder',
  learningRate: 'lr',
  batchSize: 'batch',
  epochs: 'epochs',
  trainSubset: 'train subset',
  testSubset: 'test subset',
  binarization: 'binarization',
  seed: 'seed',
  checkpointEvery: 'checkpoint every',
  checkpointKeep: 'keep checkpoints',
};

export function paramValue(key: ConfigKey, config: ExperimentConfig): string {
  const value = config[key];
  if (Array.isArray(value)) return value.join('-');
  if (value === null) return 'all';
  if (key === 'learningRate' && typeof value === 'number') return sci(value);
  return String(value);
}

/** "β = 4, latent dim = 2": what tells this run apart from the others compared with it. */
export function describeDifference(config: ExperimentConfig, keys: readonly ConfigKey[]): string {
  return keys.map((k) => `${paramLabels[k]} = ${paramValue(k, config)}`).join(', ');
}
