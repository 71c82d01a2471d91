import { resolve } from 'node:path';

/** The database: --db PATH, else $VAE_WORKBENCH_DB, else experiments.db in the working directory. */
export function resolveDbPath(flag?: string | null): string {
  if (flag !== undefined && flag !== null) {
    if (flag.trim() === '') throw new Error('--db: the path is empty');
    return resolve(flag);
  }
  const env = process.env.VAE_WORKBENCH_DB;
  if (env && env.trim() !== '') return resolve(env);
  return resolve(process.cwd(), 'experiments.db');
}
