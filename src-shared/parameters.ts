import { z } from 'zod';
import { experimentConfigSchema, type ConfigKey, type ExperimentConfig } from './config';

/**
 * Every training parameter, written once: how it is named, explained, grouped, flagged and swept. The form, the CLI
 * flags and --help, the CSV columns, the report's parameter table and the legends all derive from this table; what
 * a value may be (its kind) is read from the zod schema, never written here.
 */

export type ParameterGroup = 'Data' | 'Model' | 'Objective' | 'Optimisation' | 'Checkpoints';

export interface ParameterSpec<K extends ConfigKey = ConfigKey> {
  /** Short name for legends, table headers and reports: 'latent dim', 'β', 'lr'. */
  label: string;
  /** The form's title for the field. */
  title: string;
  help: string;
  group: ParameterGroup;
  /** CLI flag without the dashes, and other names it answers to. */
  flag: string;
  aliases?: readonly string[];
  /** Values offered when the parameter is first swept; choices and booleans offer all of theirs. */
  sweep?: readonly ExperimentConfig[K][];
  /** Whether the parameter matters for the rest of the config (σ² only with a Gaussian decoder). */
  applies?: (config: Partial<ExperimentConfig>) => boolean;
  /** A column of the report's parameter table even when every run shares it. */
  headline?: boolean;
  /** A value as text, for help and error messages (layer widths: how x joins them). */
  example?: string;
}

/** Parameters of the VAE alone: a baseline (PCA, linear autoencoder) has no architecture choice, KL term or prior. */
const vae = (c: Partial<ExperimentConfig>): boolean => (c.model ?? 'vae') === 'vae';
/** Parameters of gradient training: PCA is fitted in closed form, in one pass. */
const trained = (c: Partial<ExperimentConfig>): boolean => c.model !== 'pca';

/** In the order the form shows them; a config key missing here does not compile. */
export const parameterTable: { [K in ConfigKey]: ParameterSpec<K> } = {
  dataset: {
    label: 'dataset',
    title: 'Dataset',
    help: 'Images to train on',
    group: 'Data',
    flag: 'dataset',
    headline: true,
  },
  trainSubset: {
    label: 'train subset',
    title: 'Training subset',
    help: 'Train on the first N examples after a seeded shuffle; all = every example',
    group: 'Data',
    flag: 'train-subset',
  },
  testSubset: {
    label: 'test subset',
    title: 'Test subset',
    help: 'Evaluate on the first N test examples; all = every example',
    group: 'Data',
    flag: 'test-subset',
  },
  binarization: {
    label: 'binarization',
    title: 'Binarization',
    help: 'none, static, or dynamic: binary pixels re-sampled every epoch (the setting of published NLLs)',
    group: 'Data',
    flag: 'binarize',
    aliases: ['binarization'],
  },
  model: {
    label: 'model',
    title: 'Model',
    help: 'vae, or a baseline: pca (principal components fitted in closed form, whitened) or linear-ae (linear encoder and decoder, trained, no KL)',
    group: 'Model',
    flag: 'model',
    headline: true,
  },
  architecture: {
    label: 'architecture',
    title: 'Architecture',
    help: 'MLP or convolutional encoder/decoder',
    group: 'Model',
    flag: 'architecture',
    aliases: ['arch'],
    applies: vae,
    headline: true,
  },
  hiddenSizes: {
    label: 'hidden',
    title: 'Hidden layers',
    help: 'MLP hidden widths in encoder order (the decoder mirrors them)',
    example: '512x256',
    group: 'Model',
    flag: 'hidden',
    aliases: ['hidden-sizes'],
    sweep: [[512], [256, 256]],
    applies: (c) => vae(c) && c.architecture !== 'conv',
    headline: true,
  },
  convChannels: {
    label: 'channels',
    title: 'Conv channels',
    help: 'Conv channels per stride-2 layer',
    example: '32x64',
    group: 'Model',
    flag: 'conv-channels',
    applies: (c) => vae(c) && c.architecture === 'conv',
  },
  latentDim: {
    label: 'latent dim',
    title: 'Latent dimension',
    help: 'Size of z',
    group: 'Model',
    flag: 'latent',
    aliases: ['latent-dim'],
    sweep: [2, 10, 20],
    headline: true,
  },
  likelihood: {
    label: 'likelihood',
    title: 'Decoder likelihood',
    help: 'p(x|z): Bernoulli (BCE on logits) or Gaussian with fixed σ²',
    group: 'Model',
    flag: 'likelihood',
    headline: true,
  },
  gaussianVariance: {
    label: 'σ²',
    title: 'Decoder variance σ²',
    help: 'σ² of the Gaussian decoder: fixed, or where a learned σ² starts',
    group: 'Model',
    flag: 'gaussian-variance',
    applies: (c) => c.likelihood === 'gaussian',
  },
  decoderVariance: {
    label: 'σ² mode',
    title: 'Decoder variance',
    help: 'fixed at σ², or learned from σ² as a start: learned-per-pixel (one σ² per pixel) or learned-shared (one σ²)',
    group: 'Model',
    flag: 'decoder-variance',
    applies: (c) => c.likelihood === 'gaussian' && trained(c),
  },
  autoencoder: {
    label: 'autoencoder',
    title: 'Plain autoencoder',
    help: 'Deterministic encoder z = μ(x), no KL term',
    group: 'Model',
    flag: 'autoencoder',
    applies: vae,
  },
  alpha: {
    label: 'α',
    title: 'α (recon. weight)',
    help: 'Weight of the reconstruction term: loss = α·recon + β·KL',
    group: 'Objective',
    flag: 'alpha',
    applies: trained,
    headline: true,
  },
  beta: {
    label: 'β',
    title: 'β (KL weight)',
    help: 'Weight of the KL term: 1 = VAE, > 1 = β-VAE, 0 = no KL pressure',
    group: 'Objective',
    flag: 'beta',
    sweep: [0, 1, 4],
    applies: vae,
    headline: true,
  },
  betaSchedule: {
    label: 'β schedule',
    title: 'β schedule',
    help: 'constant, linear warm-up from 0, or cyclical: M cycles each rising from 0 over a fraction R, then flat (Fu et al. 2019)',
    group: 'Objective',
    flag: 'beta-schedule',
    applies: vae,
    headline: true,
  },
  betaWarmupEpochs: {
    label: 'β warm-up',
    title: 'β warm-up epochs',
    help: 'Epochs for β to rise linearly from 0 to its value',
    group: 'Objective',
    flag: 'warmup-epochs',
    aliases: ['beta-warmup-epochs'],
    applies: (c) => vae(c) && c.betaSchedule === 'linear',
  },
  betaCycles: {
    label: 'β cycles',
    title: 'β cycles M',
    help: 'Cycles of the cyclical β schedule over the run',
    group: 'Objective',
    flag: 'beta-cycles',
    applies: (c) => vae(c) && c.betaSchedule === 'cyclical',
  },
  betaCycleRatio: {
    label: 'β ratio',
    title: 'β cycle ratio R',
    help: 'Fraction of each cycle over which β rises from 0; it holds its value for the rest',
    group: 'Objective',
    flag: 'beta-cycle-ratio',
    applies: (c) => vae(c) && c.betaSchedule === 'cyclical',
  },
  mcSamples: {
    label: 'L',
    title: 'MC samples L',
    help: 'Monte-Carlo samples of z per example',
    group: 'Objective',
    flag: 'samples',
    aliases: ['mc-samples'],
    applies: (c) => vae(c) && (c.iwaeSamples ?? 1) === 1,
  },
  iwaeSamples: {
    label: 'IWAE k',
    title: 'IWAE samples k',
    help: 'Train on the importance-weighted bound with k samples (Burda et al. 2016); 1 = the ELBO',
    group: 'Objective',
    flag: 'iwae-k',
    aliases: ['iwae-samples'],
    sweep: [1, 5, 50],
    applies: (c) => vae(c) && c.autoencoder !== true,
  },
  freeBits: {
    label: 'free bits',
    title: 'Free bits λ',
    help: 'Nats per latent dimension the KL term lets through free: it counts max(λ, KL_j) (Kingma et al. 2016); 0 = off',
    group: 'Objective',
    flag: 'free-bits',
    sweep: [0, 0.25, 0.5],
    applies: (c) => vae(c) && c.autoencoder !== true && (c.iwaeSamples ?? 1) === 1,
  },
  init: {
    label: 'init',
    title: 'Weight initialisation',
    help: "he-glorot (He for ReLU layers, Glorot for linear ones, zero biases) or pytorch (PyTorch's default: weights and biases ~ U(±1/√fan_in))",
    group: 'Optimisation',
    flag: 'init',
    applies: trained,
  },
  learningRate: {
    label: 'lr',
    title: 'Learning rate',
    help: 'Adam step size',
    group: 'Optimisation',
    flag: 'lr',
    applies: trained,
    aliases: ['learning-rate'],
    sweep: [1e-3, 3e-4],
    headline: true,
  },
  batchSize: {
    label: 'batch',
    title: 'Batch size',
    help: 'Examples per step',
    group: 'Optimisation',
    flag: 'batch-size',
    applies: trained,
    aliases: ['batch'],
    headline: true,
  },
  epochs: {
    label: 'epochs',
    title: 'Epochs',
    help: 'Passes over the training set',
    group: 'Optimisation',
    flag: 'epochs',
    applies: trained,
    headline: true,
  },
  seed: {
    label: 'seed',
    title: 'Seed',
    help: 'Random seed: initialisation, shuffling and sampling',
    group: 'Optimisation',
    flag: 'seed',
    sweep: [0, 1, 2],
    headline: true,
  },
  checkpointEvery: {
    label: 'checkpoint every',
    title: 'Checkpoint every',
    help: 'Save a checkpoint every k-th epoch (the last is always saved)',
    group: 'Checkpoints',
    flag: 'checkpoint-every',
    applies: trained,
  },
  checkpointKeep: {
    label: 'keep checkpoints',
    title: 'Keep checkpoints',
    help: 'Which checkpoints to retain',
    group: 'Checkpoints',
    flag: 'checkpoint-keep',
    applies: trained,
  },
};

/**
 * Parameters given explicitly that do not apply to a run, as "--iwae-k 5 does not apply to model = pca": what the CLI
 * says when it queues such a run. Each message names the flag, the value given and the setting it does not apply to.
 */
export function notApplying(
  config: ExperimentConfig,
  given: Partial<Record<ConfigKey, string>>,
): { key: ConfigKey; message: string }[] {
  const out: { key: ConfigKey; message: string }[] = [];
  for (const key of Object.keys(given) as ConfigKey[]) {
    const spec = parameterTable[key] as ParameterSpec;
    if (spec.applies === undefined || spec.applies(config)) continue;
    // The kind is the reason when the parameter would apply to a VAE otherwise alike (with a stochastic encoder).
    const asVae: ExperimentConfig = { ...config, model: 'vae', autoencoder: false, iwaeSamples: 1 };
    const why = config.model !== 'vae' && spec.applies(asVae) ? `model = ${config.model}` : 'the rest of the config';
    out.push({ key, message: `--${spec.flag} ${given[key]} does not apply to ${why}: ignored` });
  }
  return out;
}

// ---- Kinds, read from the schema ----

export interface Bound {
  value: number;
  inclusive: boolean;
}

export interface Range {
  lower?: Bound;
  upper?: Bound;
}

/** What text a parameter takes, derived from its zod field. */
export type ParameterKind =
  | { type: 'dataset' }
  | { type: 'choice'; choices: readonly string[] }
  | { type: 'boolean' }
  | ({ type: 'integer' | 'number' } & Range)
  /** Layer widths or channels: integers joined by x. */
  | ({ type: 'widths'; minCount: number; maxCount: number } & Range)
  /** The first N examples, or all (null). */
  | ({ type: 'subset' } & Range);

interface CheckDef {
  check: string;
  value?: number;
  inclusive?: boolean;
  minimum?: number;
  maximum?: number;
}

function checksOf(field: z.ZodType): CheckDef[] {
  return (field.def.checks ?? []).map((c) => (c as unknown as { _zod: { def: CheckDef } })._zod.def);
}

function rangeOf(field: z.ZodType): Range {
  const range: Range = {};
  for (const def of checksOf(field)) {
    if (def.value === undefined) continue;
    if (def.check === 'greater_than') range.lower = { value: def.value, inclusive: def.inclusive ?? false };
    if (def.check === 'less_than') range.upper = { value: def.value, inclusive: def.inclusive ?? false };
  }
  return range;
}

function kindOf(key: ConfigKey, field: z.ZodType): ParameterKind {
  if (field instanceof z.ZodEnum) return { type: 'choice', choices: field.options as string[] };
  if (field instanceof z.ZodBoolean) return { type: 'boolean' };
  if (field instanceof z.ZodString) return { type: 'dataset' };
  if (field instanceof z.ZodNumber)
    return { type: field.format === 'safeint' ? 'integer' : 'number', ...rangeOf(field) };
  if (field instanceof z.ZodNullable && field.unwrap() instanceof z.ZodNumber) {
    return { type: 'subset', ...rangeOf(field.unwrap() as z.ZodNumber) };
  }
  if (field instanceof z.ZodArray && field.element instanceof z.ZodNumber) {
    const counts = checksOf(field);
    return {
      type: 'widths',
      minCount: counts.find((c) => c.check === 'min_length')?.minimum ?? 1,
      maxCount: counts.find((c) => c.check === 'max_length')?.maximum ?? Infinity,
      ...rangeOf(field.element),
    };
  }
  throw new Error(`${key}: no text syntax for this kind of schema field`);
}

export interface Parameter extends Omit<ParameterSpec, 'sweep' | 'aliases'> {
  key: ConfigKey;
  kind: ParameterKind;
  aliases: readonly string[];
  /** Values offered when the parameter is first swept. */
  sweep: readonly unknown[] | null;
}

/** Every config key, in the parameter table's order. */
export const configKeys = Object.keys(parameterTable) as ConfigKey[];

export const parameters: readonly Parameter[] = configKeys.map((key) => {
  const spec = parameterTable[key] as ParameterSpec;
  const kind = kindOf(key, experimentConfigSchema.shape[key]);
  const sweep = kind.type === 'choice' ? kind.choices : kind.type === 'boolean' ? [false, true] : (spec.sweep ?? null);
  return { ...spec, key, kind, aliases: spec.aliases ?? [], sweep };
});

const byKey = new Map(parameters.map((p) => [p.key, p]));

export function parameter(key: ConfigKey): Parameter {
  const found = byKey.get(key);
  if (!found) throw new Error(`${key}: not a parameter`);
  return found;
}

export const parameterGroups: readonly ParameterGroup[] = [...new Set(parameters.map((p) => p.group))];

/** How a parameter is named in legends and headers. */
export const paramLabels = Object.fromEntries(parameters.map((p) => [p.key, p.label])) as Record<ConfigKey, string>;

/** The CSV column of a parameter: its key in snake case (latentDim → latent_dim). */
export function csvColumn(key: ConfigKey): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

// ---- The one text syntax: 512x256 is one value, commas separate sweep values ----

function rangeText({ lower, upper }: Range): string {
  const parts: string[] = [];
  if (lower) parts.push(`${lower.inclusive ? '≥' : '>'} ${lower.value}`);
  if (upper) parts.push(`${upper.inclusive ? '≤' : '<'} ${upper.value}`);
  return parts.join(' and ');
}

/** How x joins this parameter's widths, by example: 512x256 for MLP layers, 32x64 for conv channels. */
function widthsExample(key: ConfigKey): string {
  return parameter(key).example ?? '512x256';
}

/** What a parameter accepts, in words, for error messages, help texts and --help. */
export function allowedValues(key: ConfigKey): string {
  const kind = parameter(key).kind;
  switch (kind.type) {
    case 'choice':
      return `one of ${kind.choices.join(', ')}`;
    case 'boolean':
      return 'true or false';
    case 'widths':
      return `${kind.minCount} to ${kind.maxCount} integers ${rangeText(kind)} joined by x, e.g. ${widthsExample(key)}`;
    case 'subset':
      return `all, or an integer ${rangeText(kind)}`;
    case 'integer':
      return `an integer ${rangeText(kind)}`.trim();
    case 'number':
      return `a number ${rangeText(kind)}`.trim();
    case 'dataset':
      return 'a dataset id such as mnist, fashion-mnist or an imported name';
  }
}

/** A value as text: [512, 256] → 512x256, null subset → all. */
export function formatParameter(key: ConfigKey, value: unknown): string {
  if (Array.isArray(value)) return value.join('x');
  if (value === null || value === undefined) return parameter(key).kind.type === 'subset' ? 'all' : '';
  return String(value);
}

/** Sweep values as text, comma separated: 0, 1, 4 or 512, 512x256. */
export function formatSweep(key: ConfigKey, values: readonly unknown[]): string {
  return values.map((v) => formatParameter(key, v)).join(', ');
}

/** Sweep text → one text per value; empty pieces are kept so the caller can refuse or skip them. */
export function splitSweep(text: string): string[] {
  return text.split(',').map((s) => s.trim());
}

/** `part` is the offending text (the whole value, or one width of a list); `why` says what is wrong with it. */
export type ParsedText = { ok: true; value: unknown } | { ok: false; part: string; why: string };

function parseNumber(text: string): ParsedText {
  if (text === '') return { ok: false, part: '', why: 'a value is required' };
  const n = Number(text);
  if (!Number.isFinite(n)) return { ok: false, part: text, why: 'not a number' };
  return { ok: true, value: n };
}

/** One value's text → the value, or what is wrong with the text; ranges are then the schema's to check. */
export function parseParameter(key: ConfigKey, text: string): ParsedText {
  const t = text.trim();
  const kind = parameter(key).kind;
  if (t.includes(',')) {
    // Most likely a list written the old way (512, 256) or several values where one is wanted.
    const widths = kind.type === 'widths' ? `; x joins widths, e.g. ${widthsExample(key)}` : '';
    return { ok: false, part: t, why: `a list where one value is wanted (commas separate sweep values${widths})` };
  }
  switch (kind.type) {
    case 'dataset':
      return { ok: true, value: t };
    case 'choice':
      if (kind.choices.includes(t)) return { ok: true, value: t };
      return { ok: false, part: t, why: 'not one of the choices' };
    case 'boolean':
      if (t === 'true' || t === 'yes' || t === '1') return { ok: true, value: true };
      if (t === 'false' || t === 'no' || t === '0') return { ok: true, value: false };
      return { ok: false, part: t, why: 'not true or false' };
    case 'subset':
      return t === 'all' || t === '' ? { ok: true, value: null } : parseNumber(t);
    case 'integer':
    case 'number':
      return parseNumber(t);
    case 'widths': {
      if (t === '') return { ok: false, part: '', why: 'a value is required' };
      const widths: number[] = [];
      for (const piece of t.split('x')) {
        const parsed = parseNumber(piece.trim());
        if (!parsed.ok) return parsed.part === '' ? { ok: false, part: t, why: 'an empty width' } : parsed;
        widths.push(parsed.value as number);
      }
      return { ok: true, value: widths };
    }
  }
}

/** What is wrong with a value's text, naming the text: '"many" is not a number'. */
export function parseFailure(failure: { part: string; why: string }): string {
  return failure.part === '' ? failure.why : `${JSON.stringify(failure.part)} is ${failure.why}`;
}

export type CheckedValue = { ok: true; value: unknown } | { ok: false; message: string };

/**
 * Text → a valid value of the parameter, or a message naming the text, what is wrong and what is allowed:
 * '"512xabc": not a number; allowed: …'. The CLI puts its flag in front.
 */
export function readParameter(key: ConfigKey, text: string): CheckedValue {
  const refuse = (why?: string): CheckedValue => ({
    ok: false,
    message: `${JSON.stringify(text)}: ${why ? `${why}; ` : ''}allowed: ${allowedValues(key)}`,
  });
  const parsed = parseParameter(key, text);
  if (!parsed.ok) return refuse(parsed.part === text.trim() ? parsed.why : parseFailure(parsed));
  const result = experimentConfigSchema.shape[key].safeParse(parsed.value);
  if (!result.success) return refuse(result.error.issues[0]?.message);
  return { ok: true, value: result.data };
}

// ---- How values are shown in legends, tables and reports ----

/** Learning rates and other values that span decades. */
export function sci(value: number): string {
  if (value === 0) return '0';
  const abs = Math.abs(value);
  return abs >= 0.01 && abs < 1000 ? String(Number(value.toPrecision(3))) : value.toExponential(0).replace('e-', 'e−');
}

/** A value as legends and tables show it: layer lists 512x256 (the syntax the CLI and the form take), subsets all, learning rates 1e−3. */
export function displayValue(key: ConfigKey, value: unknown): string {
  if (Array.isArray(value)) return value.join('x');
  if (value === null) return 'all';
  if (key === 'learningRate' && typeof value === 'number') return sci(value);
  return String(value);
}

export function paramValue(key: ConfigKey, config: ExperimentConfig): string {
  return displayValue(key, config[key]);
}

/** A parameter's value in a table of runs: — where it does not apply to the run (β of a PCA baseline). */
export function shownParameter(key: ConfigKey, config: ExperimentConfig): string {
  return parameter(key).applies?.(config) === false ? '—' : paramValue(key, config);
}

/** "β = 4, latent dim = 2": what tells this run apart from the others compared with it. */
export function describeDifference(config: ExperimentConfig, keys: readonly ConfigKey[]): string {
  // A parameter that does not apply to this run (β of a PCA baseline) is not part of what tells it apart.
  return keys
    .filter((k) => parameter(k).applies?.(config) !== false)
    .map((k) => `${paramLabels[k]} = ${paramValue(k, config)}`)
    .join(', ');
}

// ---- Ranges: the sweep value list of a random search ----

/**
 * A range a random search draws values from: `0.5..8` uniform, `0.5..8 log` log-uniform (the CLI's --log marks every
 * range log). Integer parameters draw integers within it. A range is one kind of sweep value list: where a comma list
 * is a grid axis (or, in a random search, the choices to draw from), a range is an interval.
 */
export interface SweepRange {
  min: number;
  max: number;
  log: boolean;
}

const RANGE_TEXT = /^\s*(\S+?)\s*\.\.\s*(\S+?)\s*(\blog)?\s*$/;

/** True when the sweep text is a range (`a..b`, `a..b log`) rather than a comma list. */
export function isRangeText(text: string): boolean {
  return !text.includes(',') && RANGE_TEXT.test(text);
}

/** The range as the form and the CLI write it: 0.5..8 log. */
export function formatRange(range: SweepRange): string {
  return `${range.min}..${range.max}${range.log ? ' log' : ''}`;
}

export type CheckedRange = { ok: true; range: SweepRange } | { ok: false; message: string };

/** Range text → a range whose ends are valid values of the parameter, or a message naming the text and what is allowed. */
export function readRange(key: ConfigKey, text: string, log = false): CheckedRange {
  const kind = parameter(key).kind;
  const refuse = (why: string): CheckedRange => ({ ok: false, message: `${JSON.stringify(text.trim())}: ${why}` });
  if (kind.type !== 'number' && kind.type !== 'integer') {
    return refuse(`a range is for numeric parameters; allowed: ${allowedValues(key)}, or a comma list of choices`);
  }
  const match = RANGE_TEXT.exec(text);
  if (!match) return refuse(`not a range; write it as min..max, e.g. 0.5..8 or 0.5..8 log`);
  const ends: number[] = [];
  for (const end of [match[1], match[2]]) {
    const read = readParameter(key, end);
    if (!read.ok) return refuse(`the end ${read.message}`);
    ends.push(read.value as number);
  }
  const [min, max] = ends;
  if (!(min < max)) return refuse(`the range is empty: ${min} is not below ${max}; write min..max`);
  const isLog = log || match[3] !== undefined;
  if (isLog && min <= 0) return refuse(`a log range needs min > 0, got ${min}`);
  return { ok: true, range: { min, max, log: isLog } };
}
