import type { Database } from 'better-sqlite3';

/**
 * The workbench's settings that outlive a session, one row (id 1) written when the researcher first changes one:
 * the TF.js backend the next runs and the latent views ask for (auto or a backend's name; checked by the code
 * against the backends it knows, so a newer version's name never makes an older one fail), and whether webgpu may
 * use a software adapter.
 */
export default function settings(db: Database): void {
  db.exec(`
    CREATE TABLE settings (
      id INTEGER PRIMARY KEY CHECK (id = 1),
      backend TEXT NOT NULL,
      allow_software_gpu INTEGER NOT NULL CHECK (allow_software_gpu IN (0, 1)),
      updated_at TEXT NOT NULL
    ) STRICT;
  `);
}
