import type { Database } from 'better-sqlite3';
import { loosenRunsCheck } from './loosen-check';

/**
 * Sweeps that train several runs at once and recover by themselves:
 * - runs may end `stopped-early` (median stopping); SQLite cannot alter a CHECK constraint, so the runs table's
 *   stored SQL gains the new status in place (SQLite's documented writable_schema route for loosening a CHECK:
 *   every stored row already satisfies it). The text is edited rather than the table rebuilt so that columns other
 *   migrations add to runs are kept whatever their order.
 * - runs.stop_request: a pause or cancel asked for by another process; the runner training the run polls it.
 * - runs.retries / last_failure: automatic requeues after the training process died, and how it died last time.
 * - runs.early_stop: the stopping rule the run was queued with (NULL: none).
 * - sweeps: the search spec and seed of each random search, so its sample can be drawn again.
 * - queue_state.workers: how many runs train at once (NULL: chosen from the cores and the backend).
 */
export default function sweepsAndRecovery(db: Database): void {
  const oldStatuses = "'interrupted', 'cancelled')";
  const newStatuses = "'interrupted', 'cancelled', 'stopped-early')";
  loosenRunsCheck(db, 'status', oldStatuses, newStatuses);

  db.exec(`
    ALTER TABLE runs ADD COLUMN stop_request TEXT CHECK (stop_request IN ('paused', 'cancelled'));
    ALTER TABLE runs ADD COLUMN retries INTEGER NOT NULL DEFAULT 0 CHECK (retries >= 0);
    ALTER TABLE runs ADD COLUMN last_failure TEXT;
    ALTER TABLE runs ADD COLUMN early_stop TEXT CHECK (early_stop IN ('median'));
    ALTER TABLE queue_state ADD COLUMN workers INTEGER CHECK (workers IS NULL OR workers >= 1);

    CREATE TABLE sweeps (
      id INTEGER PRIMARY KEY,
      experiment_id INTEGER NOT NULL REFERENCES experiments (id) ON DELETE CASCADE,
      -- The search as given: {"base": …, "axes": …, "ranges": …, "samples": N}; read back only to draw again.
      spec TEXT NOT NULL,
      samples INTEGER NOT NULL CHECK (samples >= 1),
      seed INTEGER NOT NULL,
      early_stop TEXT CHECK (early_stop IN ('median')),
      created_at TEXT NOT NULL
    ) STRICT;
    CREATE INDEX sweeps_by_experiment ON sweeps (experiment_id);
  `);
}
