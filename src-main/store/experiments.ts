import type { Experiment } from '../../src-shared/runs';
import { statement, type Database } from './db';
import { StoreError } from './errors';

export const MAX_EXPERIMENT_NAME_LENGTH = 200;

interface ExperimentRow {
  id: number;
  name: string;
  created_at: string;
  run_count: number;
}

const SELECT = `
  SELECT e.id, e.name, e.created_at, (SELECT count(*) FROM runs r WHERE r.experiment_id = e.id) AS run_count
  FROM experiments e`;

function toExperiment(row: ExperimentRow): Experiment {
  return { id: row.id, name: row.name, createdAt: row.created_at, runCount: row.run_count };
}

/** An experiment's or a run's name, trimmed; refuses an empty one or one longer than `max` characters. */
export function checkName(what: 'experiment' | 'run', name: string, max: number): string {
  const trimmed = typeof name === 'string' ? name.trim() : '';
  if (trimmed.length === 0 || trimmed.length > max) {
    throw new StoreError('invalid', `${what} name ${JSON.stringify(name)} is not allowed: use 1–${max} characters`);
  }
  return trimmed;
}

export function checkExperimentName(name: string): string {
  return checkName('experiment', name, MAX_EXPERIMENT_NAME_LENGTH);
}

export function listExperiments(db: Database): Experiment[] {
  return (statement(db, `${SELECT} ORDER BY e.id`).all() as ExperimentRow[]).map(toExperiment);
}

export function findExperimentByName(db: Database, name: string): Experiment | undefined {
  const row = statement(db, `${SELECT} WHERE e.name = ?`).get(name.trim()) as ExperimentRow | undefined;
  return row && toExperiment(row);
}
