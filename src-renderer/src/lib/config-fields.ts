import {
  architectures,
  betaSchedules,
  binarizations,
  checkpointKeeps,
  likelihoods,
  type ConfigKey,
  type ExperimentConfig,
} from '../../../src-shared/config';

export type FieldKind = 'dataset' | 'enum' | 'boolean' | 'int' | 'number' | 'optional-int' | 'int-list';

export interface FieldSpec {
  key: ConfigKey;
  label: string;
  help: string;
  kind: FieldKind;
  options?: readonly string[];
  group: string;
  /** Hidden when it has no effect for the rest of the config (e.g. σ² with a Bernoulli decoder). */
  applies?: (config: Partial<ExperimentConfig>) => boolean;
}

/** Every engine parameter, in the order the form shows them. The Record type makes a missing one a compile error. */
const specs: Record<ConfigKey, Omit<FieldSpec, 'key'>> = {
  dataset: { label: 'Dataset', help: 'Images to train on', kind: 'dataset', group: 'Data' },
  trainSubset: {
    label: 'Training subset',
    help: 'First N training images after a seeded shuffle; empty = all',
    kind: 'optional-int',
    group: 'Data',
  },
  testSubset: { label: 'Test subset', help: 'First N test images; empty = all', kind: 'optional-int', group: 'Data' },
  binarization: {
    label: 'Binarization',
    help: 'dynamic re-samples binary pixels every epoch (the setting of published NLLs)',
    kind: 'enum',
    options: binarizations,
    group: 'Data',
  },
  architecture: {
    label: 'Architecture',
    help: 'MLP or convolutional encoder/decoder',
    kind: 'enum',
    options: architectures,
    group: 'Model',
  },
  hiddenSizes: {
    label: 'Hidden layers',
    help: 'MLP widths, encoder order, e.g. 512 or 512, 256',
    kind: 'int-list',
    group: 'Model',
    applies: (c) => c.architecture !== 'conv',
  },
  convChannels: {
    label: 'Conv channels',
    help: 'Channels per stride-2 layer, e.g. 32, 64',
    kind: 'int-list',
    group: 'Model',
    applies: (c) => c.architecture === 'conv',
  },
  latentDim: { label: 'Latent dimension', help: 'Size of z', kind: 'int', group: 'Model' },
  likelihood: {
    label: 'Decoder likelihood',
    help: 'p(x|z): Bernoulli (BCE on logits) or Gaussian with fixed σ²',
    kind: 'enum',
    options: likelihoods,
    group: 'Model',
  },
  gaussianVariance: {
    label: 'Decoder variance σ²',
    help: 'Fixed σ² of the Gaussian decoder',
    kind: 'number',
    group: 'Model',
    applies: (c) => c.likelihood === 'gaussian',
  },
  autoencoder: {
    label: 'Plain autoencoder',
    help: 'Deterministic encoder z = μ(x), no KL term',
    kind: 'boolean',
    group: 'Model',
  },
  alpha: { label: 'α (recon. weight)', help: 'Loss = α·recon + β·KL', kind: 'number', group: 'Objective' },
  beta: {
    label: 'β (KL weight)',
    help: '1 = VAE, > 1 = β-VAE, 0 = no KL pressure',
    kind: 'number',
    group: 'Objective',
  },
  betaSchedule: {
    label: 'β schedule',
    help: 'constant, or linear warm-up from 0',
    kind: 'enum',
    options: betaSchedules,
    group: 'Objective',
  },
  betaWarmupEpochs: {
    label: 'β warm-up epochs',
    help: 'Epochs for β to rise from 0 to its value',
    kind: 'int',
    group: 'Objective',
    applies: (c) => c.betaSchedule === 'linear',
  },
  mcSamples: { label: 'MC samples L', help: 'Samples of z per example', kind: 'int', group: 'Objective' },
  learningRate: { label: 'Learning rate', help: 'Adam step size', kind: 'number', group: 'Optimisation' },
  batchSize: { label: 'Batch size', help: 'Examples per step', kind: 'int', group: 'Optimisation' },
  epochs: { label: 'Epochs', help: 'Passes over the training set', kind: 'int', group: 'Optimisation' },
  seed: { label: 'Seed', help: 'Initialisation, shuffling and sampling', kind: 'int', group: 'Optimisation' },
  checkpointEvery: {
    label: 'Checkpoint every',
    help: 'Save every k-th epoch (the last is always saved)',
    kind: 'int',
    group: 'Checkpoints',
  },
  checkpointKeep: {
    label: 'Keep checkpoints',
    help: 'Which checkpoints to retain',
    kind: 'enum',
    options: checkpointKeeps,
    group: 'Checkpoints',
  },
};

export const fields: FieldSpec[] = (Object.keys(specs) as ConfigKey[]).map((key) => ({ key, ...specs[key] }));
export const fieldGroups = [...new Set(fields.map((f) => f.group))];

/** A config value as the user edits it. */
export function formatValue(kind: FieldKind, value: unknown): string {
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return value.join(', ');
  return String(value);
}

export type Parsed = { ok: true; value: unknown } | { ok: false; message: string };

/** Text typed into a field → the config value, or why it is not one (the schema then checks ranges). */
export function parseValue(kind: FieldKind, text: string): Parsed {
  const t = text.trim();
  switch (kind) {
    case 'dataset':
    case 'enum':
      return { ok: true, value: t };
    case 'boolean':
      if (t === 'true' || t === 'false') return { ok: true, value: t === 'true' };
      return { ok: false, message: `"${t}" is not true or false` };
    case 'optional-int':
      if (t === '' || t === 'all') return { ok: true, value: null };
      return parseNumber(t);
    case 'int':
    case 'number':
      return parseNumber(t);
    case 'int-list': {
      const parts = t.split(/[,\s]+/).filter((p) => p !== '');
      if (parts.length === 0) return { ok: false, message: 'needs at least one layer' };
      const values: number[] = [];
      for (const p of parts) {
        const n = parseNumber(p);
        if (!n.ok) return n;
        values.push(n.value as number);
      }
      return { ok: true, value: values };
    }
  }
}

function parseNumber(t: string): Parsed {
  if (t === '') return { ok: false, message: 'a value is required' };
  const n = Number(t);
  if (!Number.isFinite(n)) return { ok: false, message: `"${t}" is not a number` };
  return { ok: true, value: n };
}

/** Sweep values as typed: a comma list, or for layer lists alternatives separated by "|" (e.g. "512 | 256, 256"). */
export function splitSweepText(kind: FieldKind, text: string): string[] {
  const sep = kind === 'int-list' ? '|' : ',';
  return text
    .split(sep)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}
