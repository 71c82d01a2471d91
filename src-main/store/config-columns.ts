import type { ConfigKey, ExperimentConfig } from '../../src-shared/config';

type SqlValue = string | number | null;

interface Column<K extends ConfigKey> {
  column: string;
  encode: (value: ExperimentConfig[K]) => SqlValue;
  decode: (value: SqlValue) => ExperimentConfig[K];
}

const same = <K extends ConfigKey>(column: string): Column<K> => ({
  column,
  encode: (value) => value as SqlValue,
  decode: (value) => value as ExperimentConfig[K],
});

/** Layer lists as text such as '512,256', readable in any SQLite browser and filterable with LIKE. */
const layers = <K extends 'hiddenSizes' | 'convChannels'>(column: string): Column<K> => ({
  column,
  encode: (value) => value.join(','),
  decode: (value) => String(value).split(',').map(Number) as ExperimentConfig[K],
});

/**
 * Every ExperimentConfig field and its runs column. The mapped type makes a new config field a compile error
 * here until it has a column (and a migration adding it).
 */
export const configColumns: { [K in ConfigKey]: Column<K> } = {
  dataset: same('dataset'),
  model: same('model'),
  architecture: same('architecture'),
  hiddenSizes: layers('hidden_sizes'),
  convChannels: layers('conv_channels'),
  latentDim: same('latent_dim'),
  likelihood: same('likelihood'),
  gaussianVariance: same('gaussian_variance'),
  decoderVariance: same('decoder_variance'),
  alpha: same('alpha'),
  beta: same('beta'),
  betaSchedule: same('beta_schedule'),
  betaWarmupEpochs: same('beta_warmup_epochs'),
  betaCycles: same('beta_cycles'),
  betaCycleRatio: same('beta_cycle_ratio'),
  iwaeSamples: same('iwae_samples'),
  freeBits: same('free_bits'),
  init: same('init'),
  mcSamples: same('mc_samples'),
  autoencoder: { column: 'autoencoder', encode: (value) => (value ? 1 : 0), decode: (value) => value === 1 },
  learningRate: same('learning_rate'),
  batchSize: same('batch_size'),
  epochs: same('epochs'),
  trainSubset: same('train_subset'),
  testSubset: same('test_subset'),
  binarization: same('binarization'),
  seed: same('seed'),
  checkpointEvery: same('checkpoint_every'),
  checkpointKeep: same('checkpoint_keep'),
};

const keys = Object.keys(configColumns) as ConfigKey[];

export const configColumnNames: readonly string[] = keys.map((key) => configColumns[key].column);

/** Column values in configColumnNames order, for an INSERT's placeholders. */
export function encodeConfig(config: ExperimentConfig): SqlValue[] {
  return keys.map((key) => (configColumns[key] as Column<ConfigKey>).encode(config[key]));
}

export function decodeConfig(row: Record<string, unknown>): ExperimentConfig {
  const config: Record<string, unknown> = {};
  for (const key of keys) {
    const { column, decode } = configColumns[key] as Column<ConfigKey>;
    config[key] = decode(row[column] as SqlValue);
  }
  return config as ExperimentConfig;
}
