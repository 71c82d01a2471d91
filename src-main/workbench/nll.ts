import type { Database } from 'better-sqlite3';
import { loadDatasetSource } from '../data/load';
import { loadCheckpoint } from '../store/checkpoints';
import { runNotFound } from '../store/errors';
import { saveNllEstimate, type NllEstimate } from '../store/nll';
import { getRun } from '../store/runs';
import { selectBackend } from '../training/backend';
import { testSplitNll, type SplitNllOptions } from '../training/nll';
import { resolveDatasetSource } from '../catalog/datasets';

export interface TestNllOptions extends SplitNllOptions {
  /** The checkpoint's epoch; the newest checkpoint when omitted. */
  epoch?: number;
}

/** The run's stored estimates (the CLI's `show`; reports read them too). */
export { listNllEstimates } from '../store/nll';

/**
 * Estimates −log p(x) on a run's test split from a stored checkpoint and stores the mean. This runs TF.js: call it
 * from a process that may block (the CLI), never from the app's main process.
 */
export async function estimateTestNll(
  db: Database,
  dbPath: string,
  runId: number,
  options: TestNllOptions,
): Promise<NllEstimate> {
  const run = getRun(db, runId);
  if (!run) throw runNotFound(runId);
  if (run.config.autoencoder) {
    throw new Error(
      `run ${run.id} is a plain autoencoder: the importance-sampled NLL needs a stochastic encoder q(z|x)`,
    );
  }
  const checkpoint = loadCheckpoint(db, run.id, options.epoch);
  if (!checkpoint) {
    throw new Error(
      options.epoch === undefined
        ? `run ${run.id} has no checkpoint yet`
        : `run ${run.id} has no checkpoint at epoch ${options.epoch}; see \`vae-workbench show ${run.id}\``,
    );
  }
  await selectBackend(null);
  const dataset = await loadDatasetSource(resolveDatasetSource(db, dbPath, run.config.dataset));
  const { nll, count } = await testSplitNll(run.config, checkpoint.weights, dataset.test, options);
  return saveNllEstimate(db, { runId: run.id, epoch: checkpoint.epoch, split: 'test', k: options.k, count, nll });
}
