import type { ConfigKey, ExperimentConfig } from './config';
import { describeDifference } from './parameters';
import { differingKeys } from './sweep';

/**
 * Runs grouped over seeds (or any set of parameters) and summarised: mean, sample standard deviation, min and max,
 * per metric and per epoch. Pure functions: the compare view, the runs table and the reports all use these.
 */

/** Summary statistics of a sample. `std` is the sample standard deviation (n − 1 in the denominator). */
export interface Stats {
  /** Finite values counted. */
  n: number;
  mean: number;
  /** NaN when n < 2: one run has no spread. */
  std: number;
  min: number;
  max: number;
  /** Values left out because they were NaN or ±Inf (a diverged run): shown, never silently averaged in. */
  nonFinite: number;
}

/** Mean, sample std (n − 1), min and max of the finite values; a sample with no finite value has n = 0 and NaNs. */
export function summarize(values: readonly (number | null | undefined)[]): Stats {
  const finite: number[] = [];
  let nonFinite = 0;
  for (const v of values) {
    if (v === null || v === undefined) continue;
    if (Number.isFinite(v)) finite.push(v);
    else nonFinite++;
  }
  const n = finite.length;
  if (n === 0) return { n, mean: NaN, std: NaN, min: NaN, max: NaN, nonFinite };
  const mean = finite.reduce((s, v) => s + v, 0) / n;
  // Two-pass: the squared deviations from the mean, which stays accurate where Σx² − n·mean² cancels.
  const std = n < 2 ? NaN : Math.sqrt(finite.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1));
  return { n, mean, std, min: Math.min(...finite), max: Math.max(...finite), nonFinite };
}

/** The parameters runs are grouped by unless the researcher picks others: every one that differs except the seed. */
export function defaultGroupKeys(configs: readonly ExperimentConfig[]): ConfigKey[] {
  return differingKeys(configs).filter((key) => key !== 'seed');
}

export interface RunGroup<R> {
  /** Equal for runs with equal values of the grouping parameters. */
  id: string;
  /** "β = 4, latent dim = 2", or "all runs" when grouped by nothing. */
  label: string;
  runs: R[];
}

/**
 * Groups runs by the values of `keys` (compared as JSON, so layer lists group too), in order of each group's first
 * run. With no keys every run falls in one group.
 */
export function groupRuns<R extends { config: ExperimentConfig }>(
  runs: readonly R[],
  keys: readonly ConfigKey[],
): RunGroup<R>[] {
  const groups = new Map<string, RunGroup<R>>();
  for (const run of runs) {
    const id = JSON.stringify(keys.map((k) => run.config[k]));
    let group = groups.get(id);
    if (!group) {
      group = { id, label: describeDifference(run.config, keys) || 'all runs', runs: [] };
      groups.set(id, group);
    }
    group.runs.push(run);
  }
  return [...groups.values()];
}

/** One epoch of a group's curve. */
export interface EpochStats extends Stats {
  epoch: number;
  /** Runs of the group that have reached this epoch (finite or not); below the group's size past the shortest run. */
  runsAtEpoch: number;
}

/**
 * A group's curves aligned by epoch number: for each epoch any run has, the statistics over the runs that have it.
 * Runs of unequal length are handled explicitly: `runsAtEpoch` drops past the shortest run, and `commonEpochs`
 * says how far every run goes, so a caller can draw the band only where all runs contribute.
 */
export function alignByEpoch(curves: readonly { epoch: number; value: number }[][]): {
  epochs: EpochStats[];
  /** The last epoch every curve has reached (0 when some curve is empty). */
  commonEpochs: number;
} {
  const byEpoch = new Map<number, number[]>();
  for (const curve of curves) {
    for (const { epoch, value } of curve) {
      const list = byEpoch.get(epoch);
      if (list) list.push(value);
      else byEpoch.set(epoch, [value]);
    }
  }
  const epochs = [...byEpoch.keys()]
    .sort((a, b) => a - b)
    .map((epoch) => {
      const values = byEpoch.get(epoch) ?? [];
      return { epoch, runsAtEpoch: values.length, ...summarize(values) };
    });
  const commonEpochs =
    curves.length === 0 ? 0 : Math.min(...curves.map((c) => (c.length === 0 ? 0 : Math.max(...c.map((p) => p.epoch)))));
  return { epochs, commonEpochs };
}

/** "−98.41 ± 0.37" (± the sample std), "−98.41" for one run, "—" for none; NaN runs are counted apart. */
export function formatMeanStd(stats: Stats, digits = 1): string {
  if (stats.n === 0) return stats.nonFinite > 0 ? 'NaN' : '—';
  const fmt = (v: number): string => v.toFixed(digits).replace(/^-/, '−');
  return Number.isNaN(stats.std) ? fmt(stats.mean) : `${fmt(stats.mean)} ± ${fmt(stats.std)}`;
}
