import type { Database } from 'better-sqlite3';

/**
 * The first schema. A frozen snapshot: later changes go in new numbered files, never here.
 *
 * NaN: SQLite stores a bound NaN as NULL, while ±Inf survive as REAL. Metric columns that are always written
 * therefore read NULL back as NaN, and epoch_metrics.non_finite flags the row so a diverged epoch is visible
 * without scanning values.
 */
export default function initial(db: Database): void {
  db.exec(`
    CREATE TABLE experiments (
      id INTEGER PRIMARY KEY,
      name TEXT NOT NULL,
      created_at TEXT NOT NULL
    ) STRICT;
    CREATE UNIQUE INDEX experiments_by_name ON experiments (name);

    CREATE TABLE runs (
      id INTEGER PRIMARY KEY,
      experiment_id INTEGER NOT NULL REFERENCES experiments (id) ON DELETE CASCADE,
      name TEXT NOT NULL,
      status TEXT NOT NULL
        CHECK (status IN ('queued', 'running', 'paused', 'finished', 'failed', 'interrupted', 'cancelled')),

      -- ExperimentConfig, one column per field. Layer lists as text such as '512,256'.
      dataset TEXT NOT NULL,
      architecture TEXT NOT NULL CHECK (architecture IN ('mlp', 'conv')),
      hidden_sizes TEXT NOT NULL,
      conv_channels TEXT NOT NULL,
      latent_dim INTEGER NOT NULL CHECK (latent_dim >= 1),
      likelihood TEXT NOT NULL CHECK (likelihood IN ('bernoulli', 'gaussian')),
      gaussian_variance REAL NOT NULL,
      alpha REAL NOT NULL,
      beta REAL NOT NULL,
      beta_schedule TEXT NOT NULL CHECK (beta_schedule IN ('constant', 'linear')),
      beta_warmup_epochs INTEGER NOT NULL,
      mc_samples INTEGER NOT NULL,
      autoencoder INTEGER NOT NULL CHECK (autoencoder IN (0, 1)),
      learning_rate REAL NOT NULL,
      batch_size INTEGER NOT NULL,
      epochs INTEGER NOT NULL CHECK (epochs >= 1),
      train_subset INTEGER,
      test_subset INTEGER,
      binarization TEXT NOT NULL CHECK (binarization IN ('none', 'static', 'dynamic')),
      seed INTEGER NOT NULL,
      checkpoint_every INTEGER NOT NULL,
      checkpoint_keep TEXT NOT NULL CHECK (checkpoint_keep IN ('all', 'last', 'best', 'last-and-best')),

      -- Execution.
      backend TEXT,
      backend_note TEXT,
      error TEXT,
      owner_pid INTEGER,
      created_at TEXT NOT NULL,
      started_at TEXT,
      finished_at TEXT,
      duration_sec REAL NOT NULL DEFAULT 0,
      notes TEXT NOT NULL DEFAULT '',

      -- Summary, kept current in the same transaction as each epoch's rows so listing never reads history.
      -- last_* are NULL before the first epoch; after it, NULL means NaN.
      epochs_done INTEGER NOT NULL DEFAULT 0,
      last_train_recon REAL,
      last_train_kl REAL,
      last_train_beta_kl REAL,
      last_train_elbo REAL,
      last_train_loss REAL,
      last_test_recon REAL,
      last_test_kl REAL,
      last_test_beta_kl REAL,
      last_test_elbo REAL,
      last_test_loss REAL,
      -- Best = highest finite test ELBO; recon and KL are that epoch's.
      best_test_elbo REAL,
      best_test_elbo_epoch INTEGER,
      best_test_recon REAL,
      best_test_kl REAL,
      active_units INTEGER
    ) STRICT;
    CREATE INDEX runs_by_experiment ON runs (experiment_id);
    CREATE INDEX runs_by_status ON runs (status);
    CREATE INDEX runs_by_dataset ON runs (dataset);

    CREATE TABLE run_tags (
      run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
      tag TEXT NOT NULL,
      PRIMARY KEY (run_id, tag)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX run_tags_by_tag ON run_tags (tag);

    -- Only queued runs are in the queue; position orders them.
    CREATE TABLE queue (
      run_id INTEGER PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,
      position INTEGER NOT NULL
    ) STRICT;
    CREATE UNIQUE INDEX queue_by_position ON queue (position);

    CREATE TABLE queue_state (
      id INTEGER PRIMARY KEY CHECK (id = 1),
      paused INTEGER NOT NULL CHECK (paused IN (0, 1))
    ) STRICT;
    INSERT INTO queue_state (id, paused) VALUES (1, 0);

    CREATE TABLE epoch_metrics (
      run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
      epoch INTEGER NOT NULL CHECK (epoch >= 1),
      split TEXT NOT NULL CHECK (split IN ('train', 'test')),
      recon REAL,
      kl REAL,
      beta_kl REAL,
      elbo REAL,
      loss REAL,
      beta REAL,
      non_finite INTEGER NOT NULL CHECK (non_finite IN (0, 1)),
      PRIMARY KEY (run_id, epoch, split)
    ) STRICT, WITHOUT ROWID;

    -- One row per recorded epoch: timings and the activity count.
    CREATE TABLE epochs (
      run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
      epoch INTEGER NOT NULL CHECK (epoch >= 1),
      active_units INTEGER NOT NULL,
      wall_time_sec REAL NOT NULL,
      examples_per_sec REAL NOT NULL,
      num_tensors INTEGER NOT NULL,
      recorded_at TEXT NOT NULL,
      PRIMARY KEY (run_id, epoch)
    ) STRICT, WITHOUT ROWID;

    CREATE TABLE latent_stats (
      run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
      epoch INTEGER NOT NULL,
      dim INTEGER NOT NULL CHECK (dim >= 0),
      kl REAL,
      mu_variance REAL,
      PRIMARY KEY (run_id, epoch, dim)
    ) STRICT, WITHOUT ROWID;

    -- Images of one epoch: each list is its images' bytes concatenated (count × width × height).
    CREATE TABLE epoch_images (
      run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
      epoch INTEGER NOT NULL,
      width INTEGER NOT NULL,
      height INTEGER NOT NULL,
      input_count INTEGER NOT NULL,
      inputs BLOB NOT NULL,
      reconstruction_count INTEGER NOT NULL,
      reconstructions BLOB NOT NULL,
      sample_count INTEGER NOT NULL,
      samples BLOB NOT NULL,
      PRIMARY KEY (run_id, epoch)
    ) STRICT;

    CREATE TABLE checkpoints (
      run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
      epoch INTEGER NOT NULL,
      weights BLOB NOT NULL,
      optimizer BLOB,
      -- That epoch's test ELBO, for the 'best' retention policy; NULL means NaN.
      test_elbo REAL,
      created_at TEXT NOT NULL,
      PRIMARY KEY (run_id, epoch)
    ) STRICT;

    CREATE TABLE datasets (
      id TEXT PRIMARY KEY,
      title TEXT NOT NULL,
      height INTEGER NOT NULL CHECK (height >= 1),
      width INTEGER NOT NULL CHECK (width >= 1),
      train_count INTEGER NOT NULL,
      train_images BLOB NOT NULL,
      train_labels BLOB NOT NULL,
      test_count INTEGER NOT NULL,
      test_images BLOB NOT NULL,
      test_labels BLOB NOT NULL,
      created_at TEXT NOT NULL
    ) STRICT;

    CREATE TABLE dataset_source_files (
      dataset_id TEXT NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
      position INTEGER NOT NULL,
      path TEXT NOT NULL,
      PRIMARY KEY (dataset_id, position)
    ) STRICT, WITHOUT ROWID;

    CREATE TABLE nll_estimates (
      run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
      epoch INTEGER NOT NULL,
      split TEXT NOT NULL CHECK (split IN ('train', 'test')),
      k INTEGER NOT NULL CHECK (k >= 1),
      count INTEGER NOT NULL CHECK (count >= 1),
      -- NULL means NaN.
      nll REAL,
      created_at TEXT NOT NULL,
      PRIMARY KEY (run_id, epoch, split, k)
    ) STRICT;
  `);
}
