import type { Split } from '../../src-shared/runs';
import { nowIso, writeTransaction, statement, type Database } from './db';
import { StoreError } from './errors';
import { readMetric, requireRunState } from './run-rows';

import type { NllEstimate } from '../../src-shared/nll';

export type NllEstimateInput = Omit<NllEstimate, 'createdAt'>;

/** Saves an estimate; a new one for the same run, epoch, split and k replaces the old. */
export function saveNllEstimate(db: Database, input: NllEstimateInput): NllEstimate {
  const { runId, epoch, split, k, count, nll } = input;
  if (split !== 'train' && split !== 'test')
    throw new StoreError('invalid', `split ${JSON.stringify(split)} must be train or test`);
  if (!Number.isInteger(k) || k < 1)
    throw new StoreError('invalid', `k = ${JSON.stringify(k)} importance samples must be an integer ≥ 1`);
  if (!Number.isInteger(count) || count < 1)
    throw new StoreError('invalid', `count = ${JSON.stringify(count)} examples must be an integer ≥ 1`);
  if (typeof nll !== 'number') throw new StoreError('invalid', `nll = ${JSON.stringify(nll)} is not a number`);
  return writeTransaction(db, () => {
    const run = requireRunState(db, runId);
    if (!Number.isInteger(epoch) || epoch < 1 || epoch > run.epochsDone) {
      throw new StoreError(
        'invalid',
        `run ${runId} has epochs 1–${run.epochsDone}; no NLL estimate for epoch ${epoch}`,
      );
    }
    const createdAt = nowIso();
    // NaN is stored as NULL and read back as NaN (the estimate is always written).
    statement(
      db,
      'INSERT OR REPLACE INTO nll_estimates (run_id, epoch, split, k, count, nll, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ).run(runId, epoch, split, k, count, nll, createdAt);
    return { runId, epoch, split, k, count, nll, createdAt };
  });
}

interface NllRow {
  run_id: number;
  epoch: number;
  split: Split;
  k: number;
  count: number;
  nll: number | null;
  created_at: string;
}

function toEstimate(row: NllRow): NllEstimate {
  return {
    runId: row.run_id,
    epoch: row.epoch,
    split: row.split,
    k: row.k,
    count: row.count,
    nll: readMetric(row.nll),
    createdAt: row.created_at,
  };
}

/** A run's estimates ordered by epoch, split (train first), k. */
export function listNllEstimates(db: Database, runId: number): NllEstimate[] {
  requireRunState(db, runId);
  const rows = statement(db, "SELECT * FROM nll_estimates WHERE run_id = ? ORDER BY epoch, split = 'test', k").all(
    runId,
  ) as NllRow[];
  return rows.map(toEstimate);
}

/**
 * The estimates of many runs in one query (the window asks for 5,000 at a time), in the order of `runIds`, each run's
 * as listNllEstimates orders them; ids of runs that do not exist are skipped.
 */
export function listNllEstimatesOfRuns(db: Database, runIds: readonly number[]): NllEstimate[] {
  const rows = statement(
    db,
    `SELECT n.* FROM json_each(?) j
     JOIN runs r ON r.id = j.value
     JOIN nll_estimates n ON n.run_id = r.id
     ORDER BY j.key, n.epoch, n.split = 'test', n.k`,
  ).all(JSON.stringify(runIds)) as NllRow[];
  return rows.map(toEstimate);
}
