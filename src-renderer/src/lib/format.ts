import type { ConfigKey, ExperimentConfig } from '../../../src-shared/config';

const minus = '\u2212';

/** Nats and similar quantities: fixed decimals, a real minus sign, NaN shown as such. */
export function num(value: number | null | undefined, digits = 1): string {
  if (value === null || value === undefined) return '—';
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? '∞' : `${minus}∞`;
  const text = value.toFixed(digits);
  return text.startsWith('-') ? minus + text.slice(1) : text;
}

/** Learning rates and other values that span decades. */
export function sci(value: number): string {
  if (value === 0) return '0';
  const abs = Math.abs(value);
  return abs >= 0.01 && abs < 1000 ? String(Number(value.toPrecision(3))) : value.toExponential(0).replace('e-', 'e−');
}

export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '—';
  if (seconds < 10) return `${seconds.toFixed(1)} s`;
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
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
