import type { Database } from 'better-sqlite3';

/**
 * Baselines as runs of their own kind, and two per-epoch series; every stored run keeps its meaning:
 * - runs.model: 'vae' for every stored run (they are all VAEs), 'pca' or 'linear-ae' for baselines.
 * - epoch_metrics.iwae: the test IWAE bound L_k (k = the run's iwaeSamples, α = β = 1) of runs trained with k > 1;
 *   NULL where it was not recorded (k = 1, the train split, epochs stored before this step).
 * - epoch_metrics.sq_error: E_q Σ_d (x_d − x̂_d)² per image, x̂ the decoder's mean at the z of the reconstruction
 *   term (z = μ(x) for a deterministic code): a likelihood-free distortion comparable across decoders and
 *   baselines; NULL where not recorded.
 * - runs.last_test_iwae, runs.last_test_sq_error: the summary's copy of the last epoch's values.
 */
export default function baselinesAndIwae(db: Database): void {
  db.exec(`
    ALTER TABLE runs ADD COLUMN model TEXT NOT NULL DEFAULT 'vae' CHECK (model IN ('vae', 'pca', 'linear-ae'));
    ALTER TABLE runs ADD COLUMN last_test_iwae REAL;
    ALTER TABLE runs ADD COLUMN last_test_sq_error REAL;
    ALTER TABLE epoch_metrics ADD COLUMN iwae REAL;
    ALTER TABLE epoch_metrics ADD COLUMN sq_error REAL;
  `);
}
