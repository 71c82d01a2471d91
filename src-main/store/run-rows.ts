import type { EarlyStopRule, GpuAdapter, RunStatus, RunSummary, SplitMetrics } from '../../src-shared/runs';
import type { RunListEntry } from '../../src-shared/run-list';
import { configColumnNames, decodeConfig } from './config-columns';
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

/** The columns a list entry reads: no epoch history, no columns only a run's details show. */
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
  'r.best_test_elbo',
];

/**
 * The runs list: one read of the runs rows (their summary columns are kept current with each epoch), the tags and
 * the queue read once each rather than per run. Ordered by id.
 */
export function readRunEntries(db: Database, where: string, params: unknown[]): RunListEntry[] {
  const config = configColumnNames.map((c) => `r.${c}`);
  const filter = where ? `WHERE ${where}` : '';
  const rows = statement(
    db,
    `SELECT ${[...LIST_COLUMNS, ...config].join(', ')} FROM runs r JOIN experiments e ON e.id = r.experiment_id
     ${filter} ORDER BY r.id`,
  ).all(...params) as Row[];
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
  return rows.map((row) => {
    const id = row.id as number;
    const epochsDone = row.epochs_done as number;
    return {
      id,
      experimentId: row.experiment_id as number,
      experimentName: row.experiment_name as string,
      name: row.name as string,
      status: row.status as RunStatus,
      config: decodeConfig(row),
      backend: row.backend as string | null,
      adapter: readAdapter(row),
      backendNote: row.backend_note as string | null,
      error: row.error as string | null,
      finishedAt: row.finished_at as string | null,
      epochsDone,
      durationSec: row.duration_sec as number,
      queuePosition: queueIndex.get(id) ?? null,
      notes: row.notes as string,
      tags: tags.get(id) ?? [],
      activeUnits: row.active_units as number | null,
      last: { test: epochsDone > 0 ? splitMetrics(row, 'test') : null },
      best: { testElbo: row.best_test_elbo as number | null },
    };
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
