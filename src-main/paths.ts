import { resolve } from 'node:path';

/**
 * The database: --db PATH, else $VAE_WORKBENCH_DB, else experiments.db in `defaultDir` (the working directory for
 * the CLI and browser mode, the user-data folder for the desktop app).
 */
export function resolveDbPath(flag?: string | null, defaultDir: string = process.cwd()): string {
  if (flag !== undefined && flag !== null) {
    if (flag.trim() === '') throw new Error('--db: the path is empty');
    return resolve(flag);
  }
  const env = process.env.VAE_WORKBENCH_DB;
  if (env && env.trim() !== '') return resolve(env);
  return resolve(defaultDir, 'experiments.db');
}
