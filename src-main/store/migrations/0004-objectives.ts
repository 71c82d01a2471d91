import type { Database } from 'better-sqlite3';
import { loosenRunsCheck } from './loosen-check';

/**
 * Objectives beyond the plain ELBO and PyTorch's initialisation, one runs column each; the defaults reproduce every
 * stored run exactly (fixed σ², no cycles in force, k = 1, no free bits, He/Glorot init):
 * - beta_schedule gains 'cyclical'; the CHECK is loosened in the table's stored SQL as 0003 loosened the status one
 *   (SQLite cannot alter a CHECK, every stored row already satisfies the wider one).
 * - decoder_variance, beta_cycles, beta_cycle_ratio, iwae_samples, free_bits, init.
 */
export default function objectives(db: Database): void {
  const oldSchedules = "beta_schedule IN ('constant', 'linear')";
  const newSchedules = "beta_schedule IN ('constant', 'linear', 'cyclical')";
  loosenRunsCheck(db, 'beta_schedule', oldSchedules, newSchedules);

  db.exec(`
    ALTER TABLE runs ADD COLUMN decoder_variance TEXT NOT NULL DEFAULT 'fixed'
      CHECK (decoder_variance IN ('fixed', 'learned-per-pixel', 'learned-shared'));
    ALTER TABLE runs ADD COLUMN beta_cycles INTEGER NOT NULL DEFAULT 4 CHECK (beta_cycles >= 1);
    ALTER TABLE runs ADD COLUMN beta_cycle_ratio REAL NOT NULL DEFAULT 0.5 CHECK (beta_cycle_ratio > 0 AND beta_cycle_ratio <= 1);
    ALTER TABLE runs ADD COLUMN iwae_samples INTEGER NOT NULL DEFAULT 1 CHECK (iwae_samples >= 1);
    ALTER TABLE runs ADD COLUMN free_bits REAL NOT NULL DEFAULT 0 CHECK (free_bits >= 0);
    ALTER TABLE runs ADD COLUMN init TEXT NOT NULL DEFAULT 'he-glorot' CHECK (init IN ('he-glorot', 'pytorch'));
  `);
}
