import type { EarlyStopRule, GpuAdapter, RunStatus, RunSummary, SplitMetrics } from '../../src-shared/runs';
import { packRunList, type RunList, type RunListValues } from '../../src-shared/run-list';

type SqlValue = string | number | null;
import type { ConfigKey } from '../../src-shared/config';
import { configColumnNames, configColumns, decodeConfig } from './config-columns';
import { statement, type Database } from './db';
import { runNotFound } from './errors';

/** Reading runs rows into RunSummary objects; shared by the run, metrics and checkpoint modules. */

type Row = Record<string, unknown>;

const SELECT_RUNS = `
  WITH queue_index AS (SELECT run_id, row_number() OVER (ORDER BY position) - 1 AS queue_index FROM queue)
  SELECT r.*, e.name AS experiment_name, qi.queue_index,
    (SELECT json_group_array(tag) FROM (SELECT tag FROM run_tags t WHERE t.run_id = r.id ORDER BY tag)) AS tags_json
  FROM runs r
  JOIN experiments e ON e.id = r.experiment_id
  LEFT JOIN queue_index qi ON qi.run_id = r.id`;

/** One run: its queue index counted directly, rather than numbering the whole queue. */
const SELECT_ONE_RUN = `
  SELECT r.*, e.name AS experiment_name,
    CASE WHEN q.position IS NULL THEN NULL ELSE (SELECT count(*) FROM queue q2 WHERE q2.position < q.position) END AS queue_index,
    (SELECT json_group_array(tag) FROM (SELECT tag FROM run_tags t WHERE t.run_id = r.id ORDER BY tag)) AS tags_json
  FROM runs r
  JOIN experiments e ON e.id = r.experiment_id
  LEFT JOIN queue q ON q.run_id = r.id
  WHERE r.id = ?`;

/** A metric column that is always written once epochs exist: NULL there is a stored NaN. */
export function readMetric(value: unknown): number {
  return value === null || value === undefined ? NaN : (value as number);
}

function splitMetrics(row: Row, split: 'train' | 'test'): SplitMetrics {
  return {
    recon: readMetric(row[`last_${split}_recon`]),
    kl: readMetric(row[`last_${split}_kl`]),
    betaKl: readMetric(row[`last_${split}_beta_kl`]),
    elbo: readMetric(row[`last_${split}_elbo`]),
    loss: readMetric(row[`last_${split}_loss`]),
    // Present only where recorded: runs before these series, and k = 1 runs for the IWAE bound, have none.
    ...(split === 'test' && typeof row.last_test_iwae === 'number' ? { iwae: row.last_test_iwae } : {}),
    ...(split === 'test' && typeof row.last_test_sq_error === 'number' ? { sqError: row.last_test_sq_error } : {}),
  };
}

function readAdapter(row: Row): GpuAdapter | null {
  if (row.adapter_software === null || row.adapter_software === undefined) return null;
  return {
    vendor: (row.adapter_vendor as string | null) ?? '',
    architecture: (row.adapter_architecture as string | null) ?? '',
    device: (row.adapter_device as string | null) ?? '',
    description: (row.adapter_description as string | null) ?? '',
    software: row.adapter_software === 1,
  };
}

function toRunSummary(row: Row): RunSummary {
  const epochsDone = row.epochs_done as number;
  const hasEpochs = epochsDone > 0;
  return {
    id: row.id as number,
    experimentId: row.experiment_id as number,
    experimentName: row.experiment_name as string,
    name: row.name as string,
    status: row.status as RunStatus,
    config: decodeConfig(row),
    backend: row.backend as string | null,
    adapter: readAdapter(row),
    backendNote: row.backend_note as string | null,
    error: row.error as string | null,
    epochsDone,
    createdAt: row.created_at as string,
    startedAt: row.started_at as string | null,
    finishedAt: row.finished_at as string | null,
    durationSec: row.duration_sec as number,
    queuePosition: (row.queue_index as number | null) ?? null,
    notes: row.notes as string,
    // Most runs have no tags: skip a parse per row.
    tags: row.tags_json === '[]' ? [] : (JSON.parse(row.tags_json as string) as string[]),
    last: { train: hasEpochs ? splitMetrics(row, 'train') : null, test: hasEpochs ? splitMetrics(row, 'test') : null },
    best: {
      testElbo: row.best_test_elbo as number | null,
      testElboEpoch: row.best_test_elbo_epoch as number | null,
      testRecon: row.best_test_elbo_epoch === null ? null : readMetric(row.best_test_recon),
      testKl: row.best_test_elbo_epoch === null ? null : readMetric(row.best_test_kl),
    },
    activeUnits: row.active_units as number | null,
    earlyStop: (row.early_stop as EarlyStopRule | null) ?? null,
    retries: (row.retries as number | undefined) ?? 0,
  };
}

/** Runs matching a WHERE clause over `r` (the runs table), ordered by id. */
export function readRuns(db: Database, where: string, params: unknown[]): RunSummary[] {
  const sql = `${SELECT_RUNS} ${where ? `WHERE ${where}` : ''} ORDER BY r.id`;
  return (statement(db, sql).all(...params) as Row[]).map(toRunSummary);
}

/** The columns a list entry reads (as `AS` names): no epoch history, no columns only a run's details show. */
const LIST_COLUMNS = [
  'r.id',
  'r.experiment_id',
  'e.name AS experiment_name',
  'r.name',
  'r.status',
  'r.backend',
  'r.adapter_vendor',
  'r.adapter_architecture',
  'r.adapter_device',
  'r.adapter_description',
  'r.adapter_software',
  'r.backend_note',
  'r.error',
  'r.finished_at',
  'r.epochs_done',
  'r.duration_sec',
  'r.notes',
  'r.active_units',
  'r.last_test_recon',
  'r.last_test_kl',
  'r.last_test_beta_kl',
  'r.last_test_elbo',
  'r.last_test_loss',
  'r.last_test_iwae',
  'r.last_test_sq_error',
  'r.best_test_elbo',
];

/**
 * The runs list, column by column: one read of the runs rows (their summary columns are kept current with each
 * epoch), the tags and the queue read once each rather than per run. Rows are read as arrays and go straight into
 * columns: for 10,000 runs, an object per row (50 named columns, then a config) costs more than the query.
 */
export function readRunList(db: Database, where: string, params: unknown[]): RunList {
  const selected = [...LIST_COLUMNS, ...configColumnNames.map((c) => `r.${c}`)];
  const names = selected.map((c) => c.replace(/^.* AS /, '').replace(/^[re]\./, ''));
  const filter = where ? `WHERE ${where}` : '';
  const rows = statement(
    db,
    `SELECT ${selected.join(', ')} FROM runs r JOIN experiments e ON e.id = r.experiment_id ${filter} ORDER BY r.id`,
  )
    .raw()
    .all(...params) as SqlValue[][];
  const column = <T>(name: string, read?: (value: SqlValue, row: SqlValue[]) => T): T[] => {
    const at = names.indexOf(name);
    if (at === -1) throw new Error(`runs list: no column ${name}`);
    const values = new Array<T>(rows.length);
    if (read) for (let i = 0; i < rows.length; i++) values[i] = read(rows[i][at], rows[i]);
    else for (let i = 0; i < rows.length; i++) values[i] = rows[i][at] as T;
    return values;
  };

  const tags = new Map<number, string[]>();
  const tagRows = statement(
    db,
    where
      ? `SELECT run_id, tag FROM run_tags WHERE run_id IN (SELECT r.id FROM runs r ${filter}) ORDER BY run_id, tag`
      : 'SELECT run_id, tag FROM run_tags ORDER BY run_id, tag',
  )
    .raw()
    .all(...params) as [number, string][];
  for (const [runId, tag] of tagRows) {
    const list = tags.get(runId);
    if (list) list.push(tag);
    else tags.set(runId, [tag]);
  }
  const queued = statement(db, 'SELECT run_id FROM queue ORDER BY position').pluck().all() as number[];
  const queueIndex = new Map(queued.map((id, i) => [id, i]));
  const experiments = new Map<number, string>();

  const ids = column<number>('id');
  const epochsDone = column<number>('epochs_done');
  const adapterAt = ['adapter_vendor', 'adapter_architecture', 'adapter_device', 'adapter_description'].map((n) =>
    names.indexOf(n),
  );
  /** A series not every run records (the IWAE bound, squared error): null where it was not. */
  const recorded = (name: string): (number | null)[] =>
    column<SqlValue>(name).map((v, i) => (epochsDone[i] > 0 && typeof v === 'number' ? v : null));
  /** A metric of the last epoch: null before the first epoch, NaN for a stored NaN. */
  const lastTest = (name: string): (number | null)[] =>
    column<SqlValue>(name).map((v, i) => (epochsDone[i] > 0 ? readMetric(v) : null));
  const config = Object.fromEntries(
    (Object.keys(configColumns) as ConfigKey[]).map((key) => {
      const { column: name, decode } = configColumns[key] as { column: string; decode: (v: SqlValue) => unknown };
      return [key, column(name, decode)];
    }),
  ) as RunListValues['config'];
  const experimentNameAt = names.indexOf('experiment_name');
  const experimentIds = column<number>('experiment_id', (v, row) => {
    experiments.set(v as number, row[experimentNameAt] as string);
    return v as number;
  });
  return packRunList({
    experiments: [...experiments].map(([id, name]) => ({ id, name })),
    columns: {
      id: ids,
      experimentId: experimentIds,
      name: column('name'),
      status: column('status'),
      backend: column('backend'),
      adapter: column('adapter_software', (software, row) =>
        software === null
          ? null
          : {
              vendor: (row[adapterAt[0]] as string | null) ?? '',
              architecture: (row[adapterAt[1]] as string | null) ?? '',
              device: (row[adapterAt[2]] as string | null) ?? '',
              description: (row[adapterAt[3]] as string | null) ?? '',
              software: software === 1,
            },
      ),
      backendNote: column('backend_note'),
      error: column('error'),
      finishedAt: column('finished_at'),
      epochsDone,
      durationSec: column('duration_sec'),
      queuePosition: ids.map((id) => queueIndex.get(id) ?? null),
      notes: column('notes'),
      tags: ids.map((id) => tags.get(id) ?? []),
      activeUnits: column('active_units'),
      testRecon: lastTest('last_test_recon'),
      testKl: lastTest('last_test_kl'),
      testBetaKl: lastTest('last_test_beta_kl'),
      testElbo: lastTest('last_test_elbo'),
      testLoss: lastTest('last_test_loss'),
      testIwae: recorded('last_test_iwae'),
      testSqError: recorded('last_test_sq_error'),
      bestTestElbo: column('best_test_elbo'),
    },
    config,
  });
}

export function readRun(db: Database, id: number): RunSummary | undefined {
  const row = statement(db, SELECT_ONE_RUN).get(id) as Row | undefined;
  return row && toRunSummary(row);
}

/** The columns that state checks need, without decoding the whole summary. */
export interface RunState {
  id: number;
  status: RunStatus;
  epochsDone: number;
  epochs: number;
  latentDim: number;
  checkpointKeep: string;
}

export function requireRunState(db: Database, id: number): RunState {
  const state = statement(
    db,
    `SELECT id, status, epochs_done AS epochsDone, epochs, latent_dim AS latentDim, checkpoint_keep AS checkpointKeep
     FROM runs WHERE id = ?`,
  ).get(id) as RunState | undefined;
  if (!state) throw runNotFound(id);
  return state;
}
