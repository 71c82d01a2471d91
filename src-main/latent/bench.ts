import { defaultConfig, parseConfig, type ExperimentConfig } from '../../src-shared/config';
import { builtinDatasetSource } from '../data/builtin';
import { loadDatasetSource } from '../data/load';
import { openDatabase } from '../store/db';
import { recordEpoch } from '../store/metrics';
import { claimNextRun, getRun, markRunFinished, queueRuns } from '../store/runs';
import { selectBackend } from '../training/backend';
import { trainRun } from '../training/trainer';
import { forkLatent } from './fork';
import { LatentService, type SpawnLatent } from './service';

/**
 * Latency of the latent views (issue 4) for the reference MLP VAE (784-512-20), measured end to end through
 * LatentService and the latent process: what the UI waits for before it can draw.
 *  - slider: 200 successive decode requests of one code, each dimension nudged as a drag would — p95 target ≤ 16 ms
 *    (one frame; drawing adds about 1 ms);
 *  - a 30×30 manifold (900 decodes, one tiled image) — target ≤ 250 ms decoded and drawn.
 */

export interface LatentBenchResult {
  sliderP95Ms: number;
  manifold30Ms: number;
  sliderMedianMs: number;
  sliderMaxMs: number;
  /** Each 30×30 manifold round trip after the warm-up; manifold30Ms is their median. */
  manifold30Runs: number[];
  backend: string | null;
}

export async function benchLatent(opts: {
  dbPath: string;
  runId: number;
  spawn?: SpawnLatent;
}): Promise<LatentBenchResult> {
  const service = new LatentService({ dbPath: opts.dbPath, spawn: opts.spawn ?? ((dbPath) => forkLatent(dbPath)) });
  try {
    // Warm-up: start TF.js, load the checkpoint, let XNNPACK pack the weights for both batch sizes.
    const latentDim = runLatentDim(opts.dbPath, opts.runId);
    const code = new Array<number>(latentDim).fill(0);
    for (let i = 0; i < 10; i++) await service.decode({ runId: opts.runId, codes: [code] });
    await service.manifold({ runId: opts.runId, n: 30, dims: [0, 1] });

    const slider: number[] = [];
    for (let i = 0; i < 200; i++) {
      // A drag across dimension i mod J from −3 to 3.
      code[i % latentDim] = -3 + (6 * (i % 50)) / 49;
      const start = performance.now();
      await service.decode({ runId: opts.runId, codes: [code] });
      slider.push(performance.now() - start);
    }
    const manifold30Runs: number[] = [];
    for (let i = 0; i < 5; i++) {
      const start = performance.now();
      await service.manifold({
        runId: opts.runId,
        n: 30,
        dims: [i % latentDim, (i + 1) % latentDim],
        spacing: 'inverse-cdf',
      });
      manifold30Runs.push(performance.now() - start);
    }
    const sorted = [...slider].sort((a, b) => a - b);
    return {
      sliderP95Ms: quantile(sorted, 0.95),
      sliderMedianMs: quantile(sorted, 0.5),
      sliderMaxMs: sorted[sorted.length - 1],
      manifold30Ms: quantile(
        [...manifold30Runs].sort((a, b) => a - b),
        0.5,
      ),
      manifold30Runs,
      backend: service.backend?.backend ?? null,
    };
  } finally {
    service.close();
  }
}

function runLatentDim(dbPath: string, runId: number): number {
  const db = openDatabase(dbPath, { readonly: true });
  try {
    const run = getRun(db, runId);
    if (!run) throw new Error(`runId = ${runId}: no such run in ${dbPath}`);
    if (run.config.latentDim < 2)
      throw new Error(`run ${runId} has latentDim ${run.config.latentDim}; the manifold benchmark needs at least 2`);
    return run.config.latentDim;
  } finally {
    db.close();
  }
}

/** Linear interpolation between order statistics (type 7, as numpy's default). */
function quantile(sorted: readonly number[], q: number): number {
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (at - lo);
}

/**
 * Trains a reference-shaped run (784-512-20, MNIST) for the benchmark, in this process, and records it in the store
 * as the queue runner would (recordEpoch per epoch, checkpoints included). A 2,000-example subset for 1 epoch takes a
 * few seconds on wasm: the latency under test depends on the model's shape, not on how well it is trained.
 */
export async function trainReferenceRun(dbPath: string, overrides: Partial<ExperimentConfig> = {}): Promise<number> {
  await selectBackend(null);
  const config = parseConfig({ ...defaultConfig, epochs: 1, trainSubset: 2000, testSubset: 1000, ...overrides });
  const dataset = await loadDatasetSource(builtinDatasetSource(config.dataset));
  const db = openDatabase(dbPath);
  try {
    queueRuns(db, { experimentName: 'bench: latent views', configs: [config] });
    const run = claimNextRun(db, process.pid);
    if (!run) throw new Error('the benchmark run could not be claimed: is the queue paused?');
    const outcome = await trainRun({
      config,
      dataset,
      resumeFrom: null,
      onEpoch: (result) => void recordEpoch(db, run.id, result),
    });
    if (outcome.status === 'failed')
      throw new Error(`the benchmark run failed at epoch ${outcome.epoch}: ${outcome.message}`);
    markRunFinished(db, run.id);
    return run.id;
  } finally {
    db.close();
  }
}
