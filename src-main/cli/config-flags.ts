import { readFileSync } from 'node:fs';
import { experimentConfigSchema, type ConfigKey, type ExperimentConfig } from '../../src-shared/config';
import {
  allowedValues as allowedParameterValues,
  formatParameter,
  formatRange,
  formatSweep,
  isRangeText,
  parameters,
  readParameter,
  readRange,
  splitSweep,
} from '../../src-shared/parameters';
import { earlyStopRules, type EarlyStopRule } from '../../src-shared/runs';
import {
  MAX_SEARCH_SEED,
  MAX_SWEEP_RUNS,
  type SweepAxes,
  type SweepRanges,
  type SweepSpec,
} from '../../src-shared/sweep';

/** Flags of `queue` that shape the sweep rather than set a parameter. */
export const searchFlagNames: readonly string[] = ['log', 'search-seed', 'early-stop'];

/**
 * Every engine parameter as a CLI flag, from the one parameter table. A comma list makes a sweep axis
 * (`--beta 0,1,4`); layer lists use `x` (`--hidden 512x256`), so `--hidden 512,512x256` sweeps over two architectures.
 */
export const configFlags = parameters;

export type ConfigFlag = (typeof configFlags)[number];

export class FlagError extends Error {
  override name = 'FlagError';
}

const flagByName = new Map<string, ConfigFlag>();
for (const flag of configFlags) for (const name of [flag.flag, ...flag.aliases]) flagByName.set(name, flag);

export function findConfigFlag(name: string): ConfigFlag | undefined {
  return flagByName.get(name);
}

/** Every name a config flag answers to, for checking a command's flags. */
export const configFlagNames: readonly string[] = [...flagByName.keys()];

/** What a flag accepts, in words, for error messages and --help. */
export function allowedValues(flag: ConfigFlag): string {
  return `${allowedParameterValues(flag.key)}${flag.kind.type === 'boolean' ? ' (or the bare flag)' : ''}`;
}

/** Parses one value of a flag and checks it against the schema field, naming the flag, the value and what is allowed. */
export function parseFlagValue(flag: ConfigFlag, raw: string): unknown {
  const read = readParameter(flag.key, raw);
  if (!read.ok) throw new FlagError(`--${flag.flag} ${read.message}`);
  return read.value;
}

/** A flag's comma list → a sweep axis (one value = a fixed parameter). */
export function parseFlagValues(flag: ConfigFlag, raw: string): unknown[] {
  if (flag.kind.type === 'boolean' && raw === '') return [true];
  const parts = splitSweep(raw);
  if (parts.some((p) => p === '')) {
    throw new FlagError(
      `--${flag.flag} ${JSON.stringify(raw)}: an empty value in the list; allowed: ${allowedValues(flag)}`,
    );
  }
  return parts.map((part) => parseFlagValue(flag, part));
}

/** `vae-workbench queue --help`: the sweep syntax, then a row per parameter with its names, help and values. */
export function queueHelp(): string {
  const rows = configFlags.map((f) => {
    const names = [f.flag, ...f.aliases].map((n) => `--${n}`).join(', ');
    return `  ${names.padEnd(36)} ${f.help}; ${allowedValues(f)}`;
  });
  return `vae-workbench queue [--config FILE.json] [--experiment NAME] [parameters]

A comma list makes a sweep axis; the runs are the grid product of all axes. x joins layer widths inside one value:
--hidden 512,512x256 is two runs, one with a 512 layer and one with 512 and 256.
  --seeds N                            shorthand for --seed 0,1,…,N−1
  --config FILE.json                   {"beta": 4, …} for one run, or {"experiment": "…", "base": {…}, "sweep": {"beta": [0, 1, 4]}}
  --experiment NAME                    the experiment the runs belong to (default: a name from the date)

Random search: a range min..max draws values instead of listing them; --samples N runs are drawn, each parameter with
a range from its range (integers for integer parameters) and each parameter with a comma list from its list.
  --samples N                          with a range: how many runs to draw (1 to ${MAX_SWEEP_RUNS}); then --mc-samples sets L
  --log                                draw every range log-uniformly (or write one range as "0.5..8 log")
  --search-seed N                      the search's seed (default: picked and recorded with the experiment)
  --early-stop median                  stop a run whose test ELBO trails the median of its finished peers
${rows.join('\n')}`;
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
  const ranges: SweepRanges = {};
  const log = values.has('log');
  // --samples is the MC samples' flag, except in a random search (a range among the flags), where it is the number
  // of runs to draw, as in `--beta 0.5..8 --log --samples 20`; --mc-samples then sets the MC samples.
  const isSearch = [...values].some(([name, raw]) => findConfigFlag(name) !== undefined && isRangeText(raw));
  for (const [name, raw] of values) {
    const flag = findConfigFlag(name);
    if (!flag || (isSearch && name === 'samples')) continue;
    delete base[flag.key];
    delete axes[flag.key];
    if (isRangeText(raw)) {
      const read = readRange(flag.key, raw, log);
      if (!read.ok) throw new FlagError(`--${flag.flag} ${read.message}`);
      ranges[flag.key] = read.range;
      continue;
    }
    const list = parseFlagValues(flag, raw);
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
  const spec: SweepSpec = { base: base as Partial<ExperimentConfig>, axes: axes as SweepAxes };
  const hasRanges = Object.keys(ranges).length > 0;
  if (log && !hasRanges) throw new FlagError('--log: no range to draw log-uniformly; give one, e.g. --beta 0.5..8');
  const samples = hasRanges ? values.get('samples') : undefined;
  if (samples !== undefined) {
    const n = Number(samples);
    if (!Number.isInteger(n) || n < 1 || n > MAX_SWEEP_RUNS)
      throw new FlagError(`--samples ${JSON.stringify(samples)}: allowed: an integer from 1 to ${MAX_SWEEP_RUNS}`);
    spec.samples = n;
  } else if (hasRanges) {
    throw new FlagError(
      `a range (${Object.keys(ranges).join(', ')}) makes a random search: give --samples N, how many runs to draw`,
    );
  }
  if (hasRanges) spec.ranges = ranges;
  const seed = values.get('search-seed');
  if (seed !== undefined) {
    const n = Number(seed);
    if (!Number.isInteger(n) || n < 0 || n > MAX_SEARCH_SEED)
      throw new FlagError(`--search-seed ${JSON.stringify(seed)}: allowed: an integer from 0 to ${MAX_SEARCH_SEED}`);
    if (spec.samples === undefined)
      throw new FlagError('--search-seed: only a random search (a range such as --beta 0.5..8) has a seed');
    spec.searchSeed = n;
  }
  const earlyStop = values.get('early-stop');
  if (earlyStop !== undefined) {
    if (!(earlyStopRules as readonly string[]).includes(earlyStop))
      throw new FlagError(`--early-stop ${JSON.stringify(earlyStop)}: allowed: ${earlyStopRules.join(', ')}`);
    spec.earlyStop = earlyStop as EarlyStopRule;
  }
  return spec;
}

/** The parameters a sweep sets explicitly (its base, axes and ranges), each with its value as the CLI writes it. */
export function givenParameters(spec: SweepSpec): Partial<Record<ConfigKey, string>> {
  const given: Partial<Record<ConfigKey, string>> = {};
  for (const [key, value] of Object.entries(spec.base))
    given[key as ConfigKey] = formatParameter(key as ConfigKey, value);
  for (const [key, values] of Object.entries(spec.axes))
    given[key as ConfigKey] = formatSweep(key as ConfigKey, values as unknown[]);
  for (const [key, range] of Object.entries(spec.ranges ?? {})) given[key as ConfigKey] = formatRange(range);
  return given;
}
