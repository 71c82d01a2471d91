import { z } from 'zod';
import {
  ConfigError,
  experimentConfigSchema,
  formatIssues,
  parseConfig,
  withModelKind,
  type ConfigKey,
  type ExperimentConfig,
} from './config';
import { parameter, type SweepRange } from './parameters';
import { earlyStopRules, type EarlyStopRule } from './runs';

/**
 * A sweep: one base config plus value lists for any parameters; the runs are the grid product.
 * e.g. { beta: [0, 1, 4], latentDim: [2, 10], seed: [0, 1, 2] } makes 3 × 2 × 3 = 18 runs.
 */
export type SweepAxes = Partial<{ [K in ConfigKey]: ExperimentConfig[K][] }>;

export type SweepRanges = Partial<Record<ConfigKey, SweepRange>>;

/**
 * A grid (axes only), or a random search: `samples` runs, each drawing every ranged parameter from its range and every
 * listed one from its list, with a PRNG seeded by `searchSeed` so the same spec and seed draw the same runs.
 */
export interface SweepSpec {
  base: Partial<ExperimentConfig>;
  axes: SweepAxes;
  ranges?: SweepRanges;
  samples?: number;
  /** Recorded with the experiment; the use case picks one when a random search comes without. */
  searchSeed?: number;
  /** Opt-in early stopping for the sweep's runs. */
  earlyStop?: EarlyStopRule;
}

export const MAX_SWEEP_RUNS = 1000;
export const MAX_SEARCH_SEED = 2 ** 32 - 1;

export const sweepSpecSchema = z
  .object({
    base: z.record(z.string(), z.unknown()),
    axes: z.record(z.string(), z.array(z.unknown()).min(1, 'needs at least one value')),
    ranges: z.record(z.string(), z.object({ min: z.number(), max: z.number(), log: z.boolean() }).strict()).optional(),
    samples: z.number().int().min(1).max(MAX_SWEEP_RUNS).optional(),
    searchSeed: z.number().int().min(0).max(MAX_SEARCH_SEED).optional(),
    earlyStop: z.enum(earlyStopRules).optional(),
  })
  .strict();

/** Number of runs a grid makes, without building them. */
export function sweepSize(axes: SweepAxes): number {
  return Object.values(axes).reduce((n, values) => n * (values as unknown[]).length, 1);
}

/** A random search rather than a grid: it has ranges or a sample count. */
export function isRandomSearch(spec: SweepSpec): boolean {
  return spec.samples !== undefined || Object.keys(spec.ranges ?? {}).length > 0;
}

/** Number of runs the sweep makes: the grid's product, or the search's samples. */
export function sweepRunCount(spec: SweepSpec): number {
  return isRandomSearch(spec) ? (spec.samples ?? 0) : sweepSize(spec.axes);
}

/** mulberry32: a small, fast 32-bit PRNG, here so a search draws the same values in Node and the browser. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * One value from the range for u in [0, 1): uniform, or log-uniform (uniform in log space), to four significant
 * digits. Integer parameters draw
 * integers with every integer of [min, max] reachable: uniform over them, or log-uniform over [min, max + 1).
 */
export function drawFromRange(range: SweepRange, integer: boolean, u: number): number {
  const { min, max, log } = range;
  if (!integer) {
    const x = log ? Math.exp(Math.log(min) + u * (Math.log(max) - Math.log(min))) : min + u * (max - min);
    // Four significant digits: names and tables read β = 3.123, not 3.122992879920888; the draw stays in range.
    return Math.min(max, Math.max(min, Number(x.toPrecision(4))));
  }
  const top = max + 1;
  const x = log ? Math.exp(Math.log(min) + u * (Math.log(top) - Math.log(min))) : min + u * (top - min);
  return Math.min(max, Math.max(min, Math.floor(x)));
}

function checkKeys(keys: readonly string[]): void {
  for (const key of keys) {
    if (!(key in experimentConfigSchema.shape)) {
      throw new ConfigError(
        `${key}: not a parameter; allowed: ${Object.keys(experimentConfigSchema.shape).join(', ')}`,
      );
    }
  }
}

function validated(merged: Record<string, unknown>): ExperimentConfig {
  const result = experimentConfigSchema.safeParse(merged);
  if (!result.success) throw new ConfigError(formatIssues(result.error.issues, merged));
  return withModelKind(result.data);
}

function expandSearch(spec: SweepSpec): ExperimentConfig[] {
  const base = parseConfig(spec.base);
  const ranges = spec.ranges ?? {};
  const rangeKeys = (Object.keys(ranges) as ConfigKey[]).sort();
  const listKeys = (Object.keys(spec.axes) as ConfigKey[]).filter((k) => !(k in ranges)).sort();
  checkKeys([...rangeKeys, ...listKeys]);
  const samples = spec.samples;
  if (samples === undefined || !Number.isInteger(samples) || samples < 1 || samples > MAX_SWEEP_RUNS) {
    throw new ConfigError(
      `samples = ${JSON.stringify(samples)}: a random search needs the number of runs to draw, an integer from 1 to ${MAX_SWEEP_RUNS}`,
    );
  }
  const seed = spec.searchSeed;
  if (seed === undefined || !Number.isInteger(seed) || seed < 0 || seed > MAX_SEARCH_SEED) {
    throw new ConfigError(
      `searchSeed = ${JSON.stringify(seed)}: a random search needs its seed, an integer from 0 to ${MAX_SEARCH_SEED}`,
    );
  }
  for (const key of rangeKeys) {
    const range = ranges[key] as SweepRange;
    const kind = parameter(key).kind.type;
    if (kind !== 'number' && kind !== 'integer')
      throw new ConfigError(`${key}: a range is for numeric parameters; give a list of choices instead`);
    if (!(range.min < range.max)) throw new ConfigError(`${key}: the range ${range.min}..${range.max} is empty`);
    if (range.log && range.min <= 0) throw new ConfigError(`${key}: a log range needs min > 0, got ${range.min}`);
  }
  const random = seededRandom(seed);
  const configs: ExperimentConfig[] = [];
  for (let i = 0; i < samples; i++) {
    const drawn: Record<string, unknown> = {};
    // A fixed order of draws (ranges, then lists, each by name) makes the sample a function of spec and seed alone.
    for (const key of rangeKeys) {
      drawn[key] = drawFromRange(ranges[key] as SweepRange, parameter(key).kind.type === 'integer', random());
    }
    for (const key of listKeys) {
      const values = spec.axes[key] as unknown[];
      if (values.length === 0) throw new ConfigError(`${key}: a list of choices needs at least one value`);
      drawn[key] = values[Math.floor(random() * values.length)];
    }
    configs.push(validated({ ...base, ...drawn }));
  }
  return configs;
}

/** Expands a sweep into validated configs: a grid in row-major order of the axes as given, or a random search's draws. */
export function expandSweep(spec: SweepSpec): ExperimentConfig[] {
  if (isRandomSearch(spec)) return expandSearch(spec);
  const base = parseConfig(spec.base);
  const keys = Object.keys(spec.axes) as ConfigKey[];
  checkKeys(keys);
  for (const key of keys) {
    const values = spec.axes[key] as unknown[];
    if (values.length === 0) throw new ConfigError(`${key}: a sweep axis needs at least one value`);
  }
  const size = sweepSize(spec.axes);
  if (size > MAX_SWEEP_RUNS) throw new ConfigError(`sweep makes ${size} runs; at most ${MAX_SWEEP_RUNS} are allowed`);

  const configs: ExperimentConfig[] = [];
  const walk = (i: number, acc: Record<string, unknown>): void => {
    if (i === keys.length) {
      configs.push(validated({ ...base, ...acc }));
      return;
    }
    const key = keys[i];
    for (const value of spec.axes[key] as unknown[]) walk(i + 1, { ...acc, [key]: value });
  };
  walk(0, {});
  return configs;
}

/**
 * The parameters whose values differ across configs, e.g. ['beta', 'latentDim'], for legends and reports. A parameter
 * counts only among the configs it applies to: β of a PCA baseline beside VAEs, or the epochs its closed-form fit
 * implies, do not make β or epochs differ.
 */
export function differingKeys(configs: readonly ExperimentConfig[]): ConfigKey[] {
  if (configs.length < 2) return [];
  const keys = Object.keys(configs[0]) as ConfigKey[];
  return keys.filter((key) => {
    const applies = parameter(key).applies;
    const values = configs.filter((c) => applies === undefined || applies(c)).map((c) => JSON.stringify(c[key]));
    return values.some((v) => v !== values[0]);
  });
}
