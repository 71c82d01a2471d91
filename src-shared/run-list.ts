import type { ConfigKey, ExperimentConfig } from './config';
import { configKeys } from './parameters';
import type { RunSummary, SplitMetrics } from './runs';

/**
 * The runs list (the API's listRuns): what the runs table shows, sorts, filters and groups by, and what the other
 * views read from the list of every run (the Queue view: errors, backend notes, when a run finished). The rest of a
 * run (train metrics, best epoch, start times, adapter details) comes with getRun when one run is opened. A
 * RunSummary is a RunListEntry with more.
 */
export type RunListEntry = Pick<
  RunSummary,
  | 'id'
  | 'experimentId'
  | 'experimentName'
  | 'name'
  | 'status'
  | 'config'
  | 'backend'
  | 'adapter'
  | 'backendNote'
  | 'error'
  | 'finishedAt'
  | 'epochsDone'
  | 'durationSec'
  | 'queuePosition'
  | 'notes'
  | 'tags'
  | 'activeUnits'
> & {
  last: { test: SplitMetrics | null };
  best: { testElbo: number | null };
};

/**
 * Every run's value in list order; or the one value every run shares (most parameters of a sweep); or, for a column
 * of few distinct values (statuses, backend notes), each distinct value once and every run's index into them.
 */
export type ListColumn<T> = T[] | { all: T } | { values: T[]; index: number[] };

/** The per-run values that are not parameters, one column each. */
export interface EntryColumns {
  id: number;
  experimentId: number;
  name: string;
  status: RunListEntry['status'];
  backend: string | null;
  adapter: RunListEntry['adapter'];
  backendNote: string | null;
  error: string | null;
  finishedAt: string | null;
  epochsDone: number;
  durationSec: number;
  queuePosition: number | null;
  notes: string;
  tags: string[];
  activeUnits: number | null;
  /** The last epoch's test metrics; null before the first epoch (a stored NaN stays NaN). */
  testRecon: number | null;
  testKl: number | null;
  testBetaKl: number | null;
  testElbo: number | null;
  testLoss: number | null;
  /** Null where not recorded (the IWAE bound of runs trained with k = 1, runs stored before it was kept). */
  testIwae: number | null;
  testSqError: number | null;
  bestTestElbo: number | null;
}

/**
 * The runs list as it travels: column by column, so 10,000 runs cost their values and not 10,000 copies of every
 * field name, with a column every run shares sent once. `entriesFromRunList` gives the entries back.
 */
export interface RunList {
  count: number;
  /** The name of each experiment the runs belong to, once each. */
  experiments: { id: number; name: string }[];
  columns: { [F in keyof EntryColumns]: ListColumn<EntryColumns[F]> };
  config: { [K in ConfigKey]: ListColumn<ExperimentConfig[K]> };
}

const entryFields: { [F in keyof EntryColumns]: (e: RunListEntry) => EntryColumns[F] } = {
  id: (e) => e.id,
  experimentId: (e) => e.experimentId,
  name: (e) => e.name,
  status: (e) => e.status,
  backend: (e) => e.backend,
  adapter: (e) => e.adapter,
  backendNote: (e) => e.backendNote,
  error: (e) => e.error,
  finishedAt: (e) => e.finishedAt,
  epochsDone: (e) => e.epochsDone,
  durationSec: (e) => e.durationSec,
  queuePosition: (e) => e.queuePosition,
  notes: (e) => e.notes,
  tags: (e) => e.tags,
  activeUnits: (e) => e.activeUnits,
  testRecon: (e) => e.last.test?.recon ?? null,
  testKl: (e) => e.last.test?.kl ?? null,
  testBetaKl: (e) => e.last.test?.betaKl ?? null,
  testElbo: (e) => e.last.test?.elbo ?? null,
  testLoss: (e) => e.last.test?.loss ?? null,
  testIwae: (e) => e.last.test?.iwae ?? null,
  testSqError: (e) => e.last.test?.sqError ?? null,
  bestTestElbo: (e) => e.best.testElbo,
};

/** Values compared as they will be sent: NaN equals NaN, lists (layer sizes, tags) and adapters by their fields. */
function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a === 'number') return typeof b === 'number' && Number.isNaN(a) && Number.isNaN(b);
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameValue(a[i], b[i])) return false;
    return true;
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return (
    ka.length === kb.length &&
    ka.every((k, i) => k === kb[i] && sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
  );
}

function pack<T>(values: T[]): ListColumn<T> {
  let shared = values.length > 0;
  for (let k = 1; shared && k < values.length; k++) shared = sameValue(values[k], values[0]);
  if (shared) return { all: values[0] };
  // Only strings (and null) are worth a dictionary: a number costs about as much as its index.
  if (values.some((v) => v !== null && typeof v !== 'string')) return values;
  const distinct = new Map<T, number>();
  const index = new Array<number>(values.length);
  for (let k = 0; k < values.length; k++) {
    let i = distinct.get(values[k]);
    if (i === undefined) {
      // Mostly distinct (names, times): give up as soon as a dictionary cannot pay.
      if (distinct.size * 4 >= values.length) return values;
      distinct.set(values[k], (i = distinct.size));
    }
    index[k] = i;
  }
  return { values: [...distinct.keys()], index };
}

/** Every run's value of every column, in list order, before packing: what the store reads. */
export interface RunListValues {
  experiments: RunList['experiments'];
  columns: { [F in keyof EntryColumns]: EntryColumns[F][] };
  config: { [K in ConfigKey]: ExperimentConfig[K][] };
}

export function packRunList(values: RunListValues): RunList {
  const columns = Object.fromEntries(
    Object.entries(values.columns).map(([field, column]) => [field, pack(column as unknown[])]),
  ) as RunList['columns'];
  const config = Object.fromEntries(
    configKeys.map((key) => [key, pack(values.config[key] as unknown[])]),
  ) as RunList['config'];
  return { count: values.columns.id.length, experiments: values.experiments, columns, config };
}

export function runListFromEntries(entries: readonly RunListEntry[]): RunList {
  const experiments = new Map<number, string>();
  for (const e of entries) experiments.set(e.experimentId, e.experimentName);
  const columns = Object.fromEntries(
    Object.entries(entryFields).map(([field, read]) => [field, entries.map((e) => read(e))]),
  ) as RunListValues['columns'];
  const config = Object.fromEntries(
    configKeys.map((key) => [key, entries.map((e) => e.config[key])]),
  ) as RunListValues['config'];
  return packRunList({ experiments: [...experiments].map(([id, name]) => ({ id, name })), columns, config });
}

/** Every run's value of a column, as a plain array (a shared value repeated, a dictionary looked up). */
function expand<T>(column: ListColumn<T>, count: number): T[] {
  if (Array.isArray(column)) return column;
  if ('all' in column) return new Array<T>(count).fill(column.all);
  return column.index.map((i) => column.values[i]);
}

export function entriesFromRunList(list: RunList): RunListEntry[] {
  const n = list.count;
  const names = new Map(list.experiments.map((e) => [e.id, e.name]));
  const c = Object.fromEntries(
    Object.entries(list.columns).map(([field, column]) => [field, expand(column as ListColumn<unknown>, n)]),
  ) as RunListValues['columns'];
  // Parameters every run shares go into one template that each run's config copies; only the others are set per run.
  const template: Record<string, unknown> = {};
  const varying: [ConfigKey, unknown[]][] = [];
  for (const key of configKeys) {
    const column = list.config[key] as ListColumn<unknown>;
    if (!Array.isArray(column) && 'all' in column) template[key] = column.all;
    else {
      template[key] = undefined;
      varying.push([key, expand(column, n)]);
    }
  }
  const metric = (v: number | null): number => v ?? NaN;
  const entries: RunListEntry[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const config = { ...template };
    for (const [key, values] of varying) config[key] = values[i];
    const epochsDone = c.epochsDone[i];
    entries[i] = {
      id: c.id[i],
      experimentId: c.experimentId[i],
      experimentName: names.get(c.experimentId[i]) ?? '',
      name: c.name[i],
      status: c.status[i],
      config: config as ExperimentConfig,
      backend: c.backend[i],
      adapter: c.adapter[i],
      backendNote: c.backendNote[i],
      error: c.error[i],
      finishedAt: c.finishedAt[i],
      epochsDone,
      durationSec: c.durationSec[i],
      queuePosition: c.queuePosition[i],
      notes: c.notes[i],
      tags: c.tags[i],
      activeUnits: c.activeUnits[i],
      last: {
        test:
          epochsDone > 0
            ? {
                recon: metric(c.testRecon[i]),
                kl: metric(c.testKl[i]),
                betaKl: metric(c.testBetaKl[i]),
                elbo: metric(c.testElbo[i]),
                loss: metric(c.testLoss[i]),
                // Absent as in the full summary, so a run without the series reads the same from either.
                ...(c.testIwae[i] === null ? {} : { iwae: c.testIwae[i] }),
                ...(c.testSqError[i] === null ? {} : { sqError: c.testSqError[i] }),
              }
            : null,
      },
      best: { testElbo: c.bestTestElbo[i] },
    };
  }
  return entries;
}
