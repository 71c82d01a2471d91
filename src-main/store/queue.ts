import { writeTransaction, statement, type Database } from './db';
import { runNotFound, StoreError } from './errors';

/**
 * The queue holds exactly the runs whose status is 'queued', ordered by position. Positions are internal;
 * callers see 0-based indexes.
 */

export interface QueueState {
  paused: boolean;
  runIds: number[];
}

export function getQueue(db: Database): QueueState {
  const paused = statement(db, 'SELECT paused FROM queue_state WHERE id = 1').pluck().get() === 1;
  const runIds = statement(db, 'SELECT run_id FROM queue ORDER BY position').pluck().all() as number[];
  return { paused, runIds };
}

/** While paused, claimNextRun hands out nothing; the run in training (if any) goes on. */
export function setQueuePaused(db: Database, paused: boolean): QueueState {
  if (typeof paused !== 'boolean')
    throw new StoreError('invalid', `paused must be true or false, got ${JSON.stringify(paused)}`);
  return writeTransaction(db, () => {
    statement(db, 'UPDATE queue_state SET paused = ? WHERE id = 1').run(paused ? 1 : 0);
    return getQueue(db);
  });
}

/** Moves a queued run to `toIndex` (0 = next to train); the others keep their order. */
export function moveRun(db: Database, runId: number, toIndex: number): QueueState {
  return writeTransaction(db, () => {
    const { runIds } = getQueue(db);
    const from = runIds.indexOf(runId);
    if (from < 0) {
      const status = statement(db, 'SELECT status FROM runs WHERE id = ?').pluck().get(runId) as string | undefined;
      if (status === undefined) throw runNotFound(runId);
      throw new StoreError('conflict', `run ${runId} is ${status}, not queued: only queued runs can be moved`);
    }
    if (!Number.isInteger(toIndex) || toIndex < 0 || toIndex >= runIds.length) {
      throw new StoreError(
        'invalid',
        `toIndex = ${toIndex}: queue index ${toIndex} is out of range: the queue has ${runIds.length} runs, so use 0–${runIds.length - 1}`,
      );
    }
    runIds.splice(from, 1);
    runIds.splice(toIndex, 0, runId);
    rewriteQueue(db, runIds);
    return getQueue(db);
  });
}

function rewriteQueue(db: Database, runIds: readonly number[]): void {
  statement(db, 'DELETE FROM queue').run();
  const insert = statement(db, 'INSERT INTO queue (run_id, position) VALUES (?, ?)');
  runIds.forEach((id, index) => insert.run(id, index));
}

/** Where a run enters the queue: 'front' trains it next, 'end' after every run already queued. */
export type QueuePlace = 'front' | 'end';

/** Adds a run to the queue; call inside the transaction that sets the run's status to 'queued'. */
export function addToQueue(db: Database, runId: number, at: QueuePlace = 'end'): void {
  const position =
    at === 'front'
      ? 'SELECT coalesce(min(position) - 1, 0) FROM queue'
      : 'SELECT coalesce(max(position) + 1, 0) FROM queue';
  statement(db, `INSERT INTO queue (run_id, position) VALUES (?, (${position}))`).run(runId);
}

export function removeFromQueue(db: Database, runId: number): void {
  statement(db, 'DELETE FROM queue WHERE run_id = ?').run(runId);
}

/** How many runs train at once as the researcher set it; null: chosen from the cores and the backend. */
export function getWorkersSetting(db: Database): number | null {
  return (statement(db, 'SELECT workers FROM queue_state WHERE id = 1').pluck().get() as number | null) ?? null;
}

export function setWorkersSetting(db: Database, workers: number | null): void {
  if (workers !== null && (!Number.isInteger(workers) || workers < 1)) {
    throw new StoreError('invalid', `workers = ${JSON.stringify(workers)}: allowed: a positive integer, or null`);
  }
  writeTransaction(db, () => statement(db, 'UPDATE queue_state SET workers = ? WHERE id = 1').run(workers));
}
