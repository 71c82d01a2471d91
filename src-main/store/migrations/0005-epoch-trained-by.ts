import type { Database } from 'better-sqlite3';

/**
 * Who trained each epoch when workers over Redis train a run: the worker's name and its host. A run redelivered
 * after a worker died has epochs from two workers. NULL for epochs trained by the workbench itself and for epochs
 * stored before this step.
 */
export default function epochTrainedBy(db: Database): void {
  db.exec(`
    ALTER TABLE epochs ADD COLUMN worker TEXT;
    ALTER TABLE epochs ADD COLUMN host TEXT;
  `);
}
