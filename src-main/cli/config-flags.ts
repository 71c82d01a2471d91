import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { experimentConfigSchema, type ConfigKey, type ExperimentConfig } from '../../src-shared/config';
import type { SweepAxes, SweepSpec } from '../../src-shared/sweep';

/**
 * Every engine parameter as a CLI flag. A comma list makes a sweep axis (`--beta 0,1,4`); layer lists use `x`
 * (`--hidden 512x256`), so `--hidden 512,512x256` sweeps over two architectures.
 */
export interface ConfigFlag {
  key: ConfigKey;
  flag: string;
  aliases: string[];
  kind: 'number' | 'integer' | 'enum' | 'boolean' | 'layers' | 'subset' | 'string';
  choices?: readonly string[];
  help: string;
}

export const configFlags: ConfigFlag[] = [
  {
    key: 'dataset',
    flag: 'dataset',
    aliases: [],
    kind: 'string',
    help: 'mnist, fashion-mnist or an imported dataset id',
  },
  { key: 'architecture', flag: 'architecture', aliases: ['arch'], kind: 'enum', help: 'encoder/decoder family' },
  {
    key: 'hiddenSizes',
    flag: 'hidden',
    aliases: ['hidden-sizes'],
    kind: 'layers',
    help: 'MLP hidden widths, e.g. 512x256',
  },
  {
    key: 'convChannels',
    flag: 'conv-channels',
    aliases: [],
    kind: 'layers',
    help: 'conv channels per stride-2 layer, e.g. 32x64',
  },
  { key: 'latentDim', flag: 'latent', aliases: ['latent-dim'], kind: 'integer', help: 'latent dimension' },
  { key: 'likelihood', flag: 'likelihood', aliases: [], kind: 'enum', help: 'decoder p(x|z)' },
  {
    key: 'gaussianVariance',
    flag: 'gaussian-variance',
    aliases: [],
    kind: 'number',
    help: 'fixed σ² of the Gaussian decoder',
  },
  { key: 'alpha', flag: 'alpha', aliases: [], kind: 'number', help: 'weight of the reconstruction term' },
  { key: 'beta', flag: 'beta', aliases: [], kind: 'number', help: 'weight of the KL term (β-VAE)' },
  { key: 'betaSchedule', flag: 'beta-schedule', aliases: [], kind: 'enum', help: 'constant, or linear warm-up' },
  {
    key: 'betaWarmupEpochs',
    flag: 'warmup-epochs',
    aliases: ['beta-warmup-epochs'],
    kind: 'integer',
    help: 'epochs of linear β warm-up',
  },
  {
    key: 'mcSamples',
    flag: 'samples',
    aliases: ['mc-samples'],
    kind: 'integer',
    help: 'Monte-Carlo samples L per example',
  },
  {
    key: 'autoencoder',
    flag: 'autoencoder',
    aliases: [],
    kind: 'boolean',
    help: 'plain autoencoder: deterministic encoder, no KL',
  },
  { key: 'learningRate', flag: 'lr', aliases: ['learning-rate'], kind: 'number', help: 'Adam learning rate' },
  { key: 'batchSize', flag: 'batch-size', aliases: ['batch'], kind: 'integer', help: 'examples per batch' },
  { key: 'epochs', flag: 'epochs', aliases: [], kind: 'integer', help: 'epochs to train' },
  {
    key: 'trainSubset',
    flag: 'train-subset',
    aliases: [],
    kind: 'subset',
    help: 'train on the first N examples (or all)',
  },
  {
    key: 'testSubset',
    flag: 'test-subset',
    aliases: [],
    kind: 'subset',
    help: 'evaluate on the first N test examples (or all)',
  },
  {
    key: 'binarization',
    flag: 'binarize',
    aliases: ['binarization'],
    kind: 'enum',
    help: 'none, static, or dynamic (re-sampled each epoch)',
  },
  { key: 'seed', flag: 'seed', aliases: [], kind: 'integer', help: 'random seed' },
  {
    key: 'checkpointEvery',
    flag: 'checkpoint-every',
    aliases: [],
    kind: 'integer',
    help: 'save a checkpoint every k-th epoch',
  },
  { key: 'checkpointKeep', flag: 'checkpoint-keep', aliases: [], kind: 'enum', help: 'which checkpoints to keep' },
];

for (const flag of configFlags) {
  const field = experimentConfigSchema.shape[flag.key];
  if (field instanceof z.ZodEnum) flag.choices = field.options as string[];
}

export class FlagError extends Error {
  override name = 'FlagError';
}

const flagByName = new Map<string, ConfigFlag>();
for (const flag of configFlags) for (const name of [flag.flag, ...flag.aliases]) flagByName.set(name, flag);

export function findConfigFlag(name: string): ConfigFlag | undefined {
  return flagByName.get(name);
}

/** What a flag accepts, in words, for error messages and --help. */
export function allowedValues(flag: ConfigFlag): string {
  const field = experimentConfigSchema.shape[flag.key];
  const range = (f: z.ZodType): string => {
    const bag = (f as z.ZodNumber).def?.checks ?? [];
    const parts: string[] = [];
    for (const check of bag) {
      const def = (check as unknown as { _zod: { def: { check: string; value: number; inclusive?: boolean } } })._zod
        .def;
      if (def.check === 'greater_than') parts.push(`${def.inclusive ? '≥' : '>'} ${def.value}`);
      if (def.check === 'less_than') parts.push(`${def.inclusive ? '≤' : '<'} ${def.value}`);
    }
    return parts.join(' and ');
  };
  switch (flag.kind) {
    case 'enum':
      return `one of ${(flag.choices ?? []).join(', ')}`;
    case 'boolean':
      return 'true or false (or the bare flag)';
    case 'layers':
      return 'positive integers joined by x, e.g. 512x256';
    case 'subset':
      return 'a positive integer, or all';
    case 'integer':
      return `an integer ${range(field)}`.trim();
    case 'number':
      return `a number ${range(field)}`.trim();
    case 'string':
      return 'a dataset id (see `vae-workbench datasets`)';
  }
}

/** Parses one value of a flag and checks it against the schema field, naming the flag, the value and what is allowed. */
export function parseFlagValue(flag: ConfigFlag, raw: string): unknown {
  const bad = (why?: string): FlagError =>
    new FlagError(`--${flag.flag} ${JSON.stringify(raw)}: ${why ? `${why}; ` : ''}allowed: ${allowedValues(flag)}`);
  let value: unknown;
  const text = raw.trim();
  switch (flag.kind) {
    case 'number':
    case 'integer': {
      if (text === '' || !Number.isFinite(Number(text))) throw bad('not a number');
      value = Number(text);
      break;
    }
    case 'subset':
      if (text === 'all') value = null;
      else if (text === '' || !Number.isFinite(Number(text))) throw bad('not a number');
      else value = Number(text);
      break;
    case 'boolean':
      if (text === 'true' || text === '1' || text === 'yes') value = true;
      else if (text === 'false' || text === '0' || text === 'no') value = false;
      else throw bad();
      break;
    case 'layers': {
      const parts = text.split('x');
      if (parts.some((p) => p === '' || !/^\d+$/.test(p))) throw bad('not a list of layer sizes');
      value = parts.map(Number);
      break;
    }
    default:
      value = text;
  }
  const result = experimentConfigSchema.shape[flag.key].safeParse(value);
  if (!result.success) throw bad(result.error.issues[0]?.message);
  return result.data;
}

/** A flag's comma list → a sweep axis (one value = a fixed parameter). */
export function parseFlagValues(flag: ConfigFlag, raw: string): unknown[] {
  if (flag.kind === 'boolean' && raw === '') return [true];
  const parts = raw.split(',');
  if (parts.some((p) => p.trim() === '')) {
    throw new FlagError(
      `--${flag.flag} ${JSON.stringify(raw)}: an empty value in the list; allowed: ${allowedValues(flag)}`,
    );
  }
  return parts.map((part) => parseFlagValue(flag, part));
}

export interface ConfigFile {
  experiment?: string;
  base: Partial<ExperimentConfig>;
  axes: SweepAxes;
}

/**
 * A config file is either one config (`{"beta": 4, "latentDim": 2}`) or a sweep
 * (`{"experiment": "beta-sweep", "base": {...}, "sweep": {"beta": [0, 1, 4]}}`).
 */
export function readConfigFile(path: string): ConfigFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new FlagError(
      `--config ${path}: cannot read the file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new FlagError(`--config ${path}: not valid JSON (${(error as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new FlagError(
      `--config ${path}: expected a JSON object with config fields, or {"base": {...}, "sweep": {...}}`,
    );
  }
  const obj = json as Record<string, unknown>;
  const isSweep = 'base' in obj || 'sweep' in obj;
  const base = (isSweep ? (obj.base ?? {}) : { ...obj }) as Record<string, unknown>;
  if (!isSweep) delete base.experiment;
  const axes = (isSweep ? (obj.sweep ?? {}) : {}) as Record<string, unknown>;
  for (const [key, values] of Object.entries(axes)) {
    if (!Array.isArray(values) || values.length === 0) {
      throw new FlagError(`--config ${path}: sweep.${key} must be a non-empty list of values`);
    }
  }
  const known = new Set(Object.keys(experimentConfigSchema.shape));
  for (const key of [...Object.keys(base), ...Object.keys(axes)]) {
    if (!known.has(key))
      throw new FlagError(`--config ${path}: ${key} is not a parameter; allowed: ${[...known].join(', ')}`);
  }
  const experiment = typeof obj.experiment === 'string' ? obj.experiment : undefined;
  return { experiment, base: base as Partial<ExperimentConfig>, axes: axes as SweepAxes };
}

/** Builds the sweep from a config file (optional) and flags; flags win over the file. */
export function sweepFromFlags(values: Map<string, string>, file: ConfigFile | null): SweepSpec {
  const base: Record<string, unknown> = { ...(file?.base ?? {}) };
  const axes: Record<string, unknown[]> = { ...(file?.axes ?? {}) };
  for (const [name, raw] of values) {
    const flag = findConfigFlag(name);
    if (!flag) continue;
    const list = parseFlagValues(flag, raw);
    delete base[flag.key];
    delete axes[flag.key];
    if (list.length === 1) base[flag.key] = list[0];
    else axes[flag.key] = list;
  }
  const seeds = values.get('seeds');
  if (seeds !== undefined) {
    const n = Number(seeds);
    if (!Number.isInteger(n) || n < 1 || n > 100)
      throw new FlagError(`--seeds ${JSON.stringify(seeds)}: allowed: an integer from 1 to 100 (runs seeds 0…N−1)`);
    if (values.has('seed')) throw new FlagError('--seeds and --seed: give one of them');
    delete base.seed;
    axes.seed = Array.from({ length: n }, (_, i) => i);
  }
  return { base: base as Partial<ExperimentConfig>, axes: axes as SweepAxes };
}
