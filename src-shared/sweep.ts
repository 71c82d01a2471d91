import { z } from 'zod';
import {
  ConfigError,
  experimentConfigSchema,
  formatIssues,
  parseConfig,
  type ConfigKey,
  type ExperimentConfig,
} from './config';

/**
 * A sweep: one base config plus value lists for any parameters; the runs are the grid product.
 * e.g. { beta: [0, 1, 4], latentDim: [2, 10], seed: [0, 1, 2] } makes 3 × 2 × 3 = 18 runs.
 */
export type SweepAxes = Partial<{ [K in ConfigKey]: ExperimentConfig[K][] }>;

export interface SweepSpec {
  base: Partial<ExperimentConfig>;
  axes: SweepAxes;
}

export const MAX_SWEEP_RUNS = 1000;

export const sweepSpecSchema = z
  .object({
    base: z.record(z.string(), z.unknown()),
    axes: z.record(z.string(), z.array(z.unknown()).min(1, 'needs at least one value')),
  })
  .strict();

/** Number of runs a sweep makes, without building them. */
export function sweepSize(axes: SweepAxes): number {
  return Object.values(axes).reduce((n, values) => n * (values as unknown[]).length, 1);
}

/** Expands a sweep into validated configs, in row-major order of the axes as given. */
export function expandSweep(spec: SweepSpec): ExperimentConfig[] {
  const base = parseConfig(spec.base);
  const keys = Object.keys(spec.axes) as ConfigKey[];
  for (const key of keys) {
    if (!(key in experimentConfigSchema.shape)) {
      throw new ConfigError(
        `${key}: not a parameter; allowed: ${Object.keys(experimentConfigSchema.shape).join(', ')}`,
      );
    }
    const values = spec.axes[key] as unknown[];
    if (values.length === 0) throw new ConfigError(`${key}: a sweep axis needs at least one value`);
  }
  const size = sweepSize(spec.axes);
  if (size > MAX_SWEEP_RUNS) throw new ConfigError(`sweep makes ${size} runs; at most ${MAX_SWEEP_RUNS} are allowed`);

  const configs: ExperimentConfig[] = [];
  const walk = (i: number, acc: Record<string, unknown>): void => {
    if (i === keys.length) {
      const merged = { ...base, ...acc };
      const result = experimentConfigSchema.safeParse(merged);
      if (!result.success) throw new ConfigError(formatIssues(result.error.issues, merged));
      configs.push(result.data);
      return;
    }
    const key = keys[i];
    for (const value of spec.axes[key] as unknown[]) walk(i + 1, { ...acc, [key]: value });
  };
  walk(0, {});
  return configs;
}

/** The parameters whose values differ across configs, e.g. ['beta', 'latentDim'], for legends and reports. */
export function differingKeys(configs: readonly ExperimentConfig[]): ConfigKey[] {
  if (configs.length < 2) return [];
  const keys = Object.keys(configs[0]) as ConfigKey[];
  return keys.filter((key) => {
    const first = JSON.stringify(configs[0][key]);
    return configs.some((c) => JSON.stringify(c[key]) !== first);
  });
}
