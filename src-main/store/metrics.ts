import type { CheckpointKeep } from '../../src-shared/config';
import type { EpochMetrics, EpochTiming, LatentStats, RunSummary, Split, SplitMetrics } from '../../src-shared/runs';
import type { EpochImages } from '../../src-shared/runs';
import type { EpochResult } from '../records';
import { applyRetention, insertCheckpoint } from './checkpoints';
import { nowIso, writeTransaction, statement, type Database } from './db';
import { runNotFound, StoreError } from './errors';
import { readMetric, readRun, requireRunState } from './run-rows';

export interface EpochTimingRecord extends EpochTiming {
  runId: number;
  epoch: number;
  /** The worker over Redis and its host that trained the epoch; null when the workbench trained it itself. */
  worker: string | null;
  host: string | null;
}

const splits: readonly Split[] = ['train', 'test'];
const metricKeys = ['recon', 'kl', 'betaKl', 'elbo', 'loss'] as const;
/** Series recorded only where they apply (the IWAE bound of k > 1 runs, the squared error): null = not recorded. */
const optionalKeys = ['iwae', 'sqError'] as const;

function optional(m: SplitMetrics | null, key: (typeof optionalKeys)[number]): number | null {
  const value = m?.[key];
  return typeof value === 'number' ? value : null;
}

/**
 * Writes one finished epoch in ONE transaction: train and test metrics, timings, per-dimension latent stats,
 * images, the checkpoint (if the epoch carries one) with the retention policy applied, and the run's summary
 * columns. Epochs arrive in order: anything but epochs_done + 1 is refused and nothing is written, so an epoch
 * is never lost or doubled. The run must be 'running'. Returns the updated summary.
 */
export function recordEpoch(db: Database, runId: number, result: EpochResult): RunSummary {
  return writeTransaction(db, () => {
    const run = requireRunState(db, runId);
    if (run.status !== 'running') {
      throw new StoreError('conflict', `run ${runId} is ${run.status}: epochs are recorded only while it is running`);
    }
    if (result.epoch !== run.epochsDone + 1) {
      throw new StoreError(
        'conflict',
        `run ${runId} has ${run.epochsDone} epochs recorded, so the next is epoch ${run.epochsDone + 1}; got epoch ${result.epoch}`,
      );
    }
    if (result.epoch > run.epochs) {
      throw new StoreError('invalid', `run ${runId} is configured for ${run.epochs} epochs; got epoch ${result.epoch}`);
    }
    checkEpochResult(runId, run.latentDim, result);
    const now = nowIso();

    const insertMetrics = statement(
      db,
      `INSERT INTO epoch_metrics (run_id, epoch, split, recon, kl, beta_kl, elbo, loss, iwae, sq_error, beta, non_finite)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    for (const split of splits) {
      const m = result[split];
      // SQLite keeps ±Inf but turns a bound NaN into NULL; the flag records that the row is not all finite.
      const recorded = optionalKeys.map((key) => optional(m, key)).filter((v): v is number => v !== null);
      const nonFinite = [...metricKeys.map((key) => m[key]), ...recorded, result.beta].some((v) => !Number.isFinite(v));
      insertMetrics.run(
        runId,
        result.epoch,
        split,
        m.recon,
        m.kl,
        m.betaKl,
        m.elbo,
        m.loss,
        optional(m, 'iwae'),
        optional(m, 'sqError'),
        result.beta,
        nonFinite ? 1 : 0,
      );
    }

    statement(
      db,
      `INSERT INTO epochs (run_id, epoch, active_units, wall_time_sec, examples_per_sec, num_tensors, recorded_at, worker, host)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      runId,
      result.epoch,
      result.activeUnits,
      result.wallTimeSec,
      result.examplesPerSec,
      result.numTensors,
      now,
      result.trainedBy?.worker ?? null,
      result.trainedBy?.host ?? null,
    );

    const insertLatent = statement(
      db,
      'INSERT INTO latent_stats (run_id, epoch, dim, kl, mu_variance) VALUES (?, ?, ?, ?, ?)',
    );
    for (let dim = 0; dim < run.latentDim; dim++) {
      insertLatent.run(runId, result.epoch, dim, result.klPerDim[dim], result.muVariancePerDim[dim]);
    }

    const images = result.images;
    statement(
      db,
      `INSERT INTO epoch_images (run_id, epoch, width, height, input_count, inputs, reconstruction_count, reconstructions,
         sample_count, samples) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      runId,
      result.epoch,
      images.width,
      images.height,
      images.inputs.length,
      concatImages(images.inputs),
      images.reconstructions.length,
      concatImages(images.reconstructions),
      images.samples.length,
      concatImages(images.samples),
    );

    if (result.checkpoint) {
      insertCheckpoint(db, runId, result.checkpoint, result.test.elbo, now);
      applyRetention(db, runId, run.checkpointKeep as CheckpointKeep, false);
    }

    updateSummary(db, runId, result);
    return readRun(db, runId)!;
  });
}

function checkEpochResult(runId: number, latentDim: number, result: EpochResult): void {
  const bad = (what: string): StoreError => new StoreError('invalid', `run ${runId} epoch ${result.epoch}: ${what}`);
  for (const split of splits) {
    for (const key of metricKeys) {
      if (typeof result[split]?.[key] !== 'number')
        throw bad(`${split}.${key} = ${JSON.stringify(result[split]?.[key])} is not a number`);
    }
    for (const key of optionalKeys) {
      const value = result[split]?.[key];
      if (value !== undefined && value !== null && typeof value !== 'number')
        throw bad(`${split}.${key} = ${JSON.stringify(value)} is not a number (or null where not recorded)`);
    }
  }
  if (typeof result.beta !== 'number') throw bad(`beta = ${JSON.stringify(result.beta)} is not a number`);
  for (const key of ['klPerDim', 'muVariancePerDim'] as const) {
    const values = result[key];
    if (!Array.isArray(values) || values.length !== latentDim || values.some((v) => typeof v !== 'number')) {
      throw bad(
        `${key} has ${Array.isArray(values) ? values.length : 'no'} values; the run's latentDim is ${latentDim}, one number per dimension`,
      );
    }
  }
  for (const key of ['activeUnits', 'numTensors'] as const) {
    const value = result[key];
    if (!Number.isInteger(value) || value < 0) throw bad(`${key} = ${JSON.stringify(value)} must be an integer ≥ 0`);
  }
  for (const key of ['wallTimeSec', 'examplesPerSec'] as const) {
    const value = result[key];
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
      throw bad(`${key} = ${JSON.stringify(value)} must be a finite number ≥ 0`);
  }
  const { width, height } = result.images ?? {};
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw bad(`images are ${JSON.stringify(width)} × ${JSON.stringify(height)}; width and height must be integers ≥ 1`);
  }
  for (const key of ['inputs', 'reconstructions', 'samples'] as const) {
    if (!Array.isArray(result.images[key])) throw bad(`images.${key} must be a list of images`);
    result.images[key].forEach((image, i) => {
      if (!(image instanceof Uint8Array) || image.length !== width * height) {
        throw bad(`images.${key}[${i}] has ${image?.length} bytes; ${width} × ${height} images need ${width * height}`);
      }
    });
  }
  if (result.checkpoint && result.checkpoint.epoch !== result.epoch) {
    throw bad(`the checkpoint is for epoch ${result.checkpoint.epoch}; it must be the epoch's own`);
  }
}

function concatImages(images: readonly Uint8Array[]): Buffer {
  return Buffer.concat(images.map((image) => Buffer.from(image.buffer, image.byteOffset, image.byteLength)));
}

function splitImages(blob: Buffer, count: number, size: number): Uint8Array[] {
  return Array.from({ length: count }, (_, i) => new Uint8Array(blob.subarray(i * size, (i + 1) * size)));
}

const SUMMARY_UPDATE = `
  UPDATE runs SET epochs_done = ?, duration_sec = ?, active_units = ?,
    last_train_recon = ?, last_train_kl = ?, last_train_beta_kl = ?, last_train_elbo = ?, last_train_loss = ?,
    last_test_recon = ?, last_test_kl = ?, last_test_beta_kl = ?, last_test_elbo = ?, last_test_loss = ?,
    last_test_iwae = ?, last_test_sq_error = ?,
    best_test_elbo = ?, best_test_elbo_epoch = ?, best_test_recon = ?, best_test_kl = ?
  WHERE id = ?`;

interface Best {
  elbo: number;
  epoch: number;
  recon: number;
  kl: number;
}

function writeSummary(
  db: Database,
  runId: number,
  s: {
    epochsDone: number;
    durationSec: number;
    activeUnits: number | null;
    train: SplitMetrics | null;
    test: SplitMetrics | null;
    best: Best | null;
  },
): void {
  const values = (m: SplitMetrics | null): (number | null)[] => metricKeys.map((key) => (m ? m[key] : null));
  statement(db, SUMMARY_UPDATE).run(
    s.epochsDone,
    s.durationSec,
    s.activeUnits,
    ...values(s.train),
    ...values(s.test),
    optional(s.test, 'iwae'),
    optional(s.test, 'sqError'),
    s.best?.elbo ?? null,
    s.best?.epoch ?? null,
    s.best?.recon ?? null,
    s.best?.kl ?? null,
    runId,
  );
}

/** Best = the highest finite test ELBO; a tie keeps the earlier epoch. */
function isBetter(elbo: number, best: number | null): boolean {
  return Number.isFinite(elbo) && (best === null || elbo > best);
}

function updateSummary(db: Database, runId: number, result: EpochResult): void {
  // The stored best, null before any finite test ELBO (recon and KL may be NaN, stored as NULL).
  const current = statement(
    db,
    `SELECT duration_sec AS durationSec, best_test_elbo AS elbo, best_test_elbo_epoch AS epoch,
       best_test_recon AS recon, best_test_kl AS kl
     FROM runs WHERE id = ?`,
  ).get(runId) as { durationSec: number } & { [K in keyof Best]: Best[K] | null };
  const best: Best | null = isBetter(result.test.elbo, current.elbo)
    ? { elbo: result.test.elbo, epoch: result.epoch, recon: result.test.recon, kl: result.test.kl }
    : current.epoch === null
      ? null
      : { elbo: current.elbo!, epoch: current.epoch, recon: readMetric(current.recon), kl: readMetric(current.kl) };
  writeSummary(db, runId, {
    epochsDone: result.epoch,
    durationSec: current.durationSec + result.wallTimeSec,
    activeUnits: result.activeUnits,
    train: result.train,
    test: result.test,
    best,
  });
}

/**
 * Drops every epoch after `toEpoch` (metrics, timings, latent stats, images, checkpoints, NLL estimates) and
 * rebuilds the summary from what remains: a resumed run retrains those epochs from its checkpoint.
 * Call inside a write transaction.
 */
export function rewindEpochs(db: Database, runId: number, toEpoch: number): void {
  for (const table of ['epoch_metrics', 'epochs', 'latent_stats', 'epoch_images', 'checkpoints', 'nll_estimates']) {
    statement(db, `DELETE FROM ${table} WHERE run_id = ? AND epoch > ?`).run(runId, toEpoch);
  }
  const metrics = getEpochMetrics(db, [runId]);
  const timings = getEpochTimings(db, runId);
  const lastEpoch = timings.length === 0 ? 0 : timings[timings.length - 1].epoch;
  const at = (split: Split): SplitMetrics | null => {
    const m = metrics.find((row) => row.epoch === lastEpoch && row.split === split);
    return m
      ? { recon: m.recon, kl: m.kl, betaKl: m.betaKl, elbo: m.elbo, loss: m.loss, iwae: m.iwae, sqError: m.sqError }
      : null;
  };
  let best: Best | null = null;
  for (const m of metrics) {
    if (m.split === 'test' && isBetter(m.elbo, best?.elbo ?? null))
      best = { elbo: m.elbo, epoch: m.epoch, recon: m.recon, kl: m.kl };
  }
  const activeUnits = statement(db, 'SELECT active_units FROM epochs WHERE run_id = ? AND epoch = ?')
    .pluck()
    .get(runId, lastEpoch) as number | undefined;
  writeSummary(db, runId, {
    epochsDone: lastEpoch,
    durationSec: timings.reduce((sum, t) => sum + t.wallTimeSec, 0),
    activeUnits: activeUnits ?? null,
    train: at('train'),
    test: at('test'),
    best,
  });
}

/** Throws naming the first id that is not a run. */
export function requireRuns(db: Database, runIds: readonly number[]): void {
  const found = new Set(
    statement(db, 'SELECT id FROM runs WHERE id IN (SELECT value FROM json_each(?))')
      .pluck()
      .all(JSON.stringify(runIds)) as number[],
  );
  const missing = runIds.find((id) => !found.has(id));
  if (missing !== undefined) throw runNotFound(missing);
}

interface MetricsRow {
  run_id: number;
  epoch: number;
  split: Split;
  recon: number | null;
  kl: number | null;
  beta_kl: number | null;
  elbo: number | null;
  loss: number | null;
  iwae: number | null;
  sq_error: number | null;
  beta: number | null;
  non_finite: number;
}

/** Epoch history of the runs, ordered by run id, epoch, then train before test. NaN comes back as NaN. */
export function getEpochMetrics(db: Database, runIds: readonly number[]): EpochMetrics[] {
  requireRuns(db, runIds);
  const rows = statement(
    db,
    `SELECT * FROM epoch_metrics WHERE run_id IN (SELECT value FROM json_each(?))
       ORDER BY run_id, epoch, split = 'test'`,
  ).all(JSON.stringify(runIds)) as MetricsRow[];
  return rows.map((row) => ({
    runId: row.run_id,
    epoch: row.epoch,
    split: row.split,
    recon: readMetric(row.recon),
    kl: readMetric(row.kl),
    betaKl: readMetric(row.beta_kl),
    elbo: readMetric(row.elbo),
    loss: readMetric(row.loss),
    ...(row.iwae === null ? {} : { iwae: row.iwae }),
    ...(row.sq_error === null ? {} : { sqError: row.sq_error }),
    beta: readMetric(row.beta),
    nonFinite: row.non_finite === 1,
  }));
}

/** Per-dimension KL and Cov_x(E_q[z_j|x]) of every epoch, ordered by epoch. */
export function getLatentStats(db: Database, runId: number): LatentStats[] {
  requireRunState(db, runId);
  const epochs = statement(db, 'SELECT epoch, active_units FROM epochs WHERE run_id = ? ORDER BY epoch').all(runId) as {
    epoch: number;
    active_units: number;
  }[];
  const rows = statement(
    db,
    'SELECT epoch, kl, mu_variance FROM latent_stats WHERE run_id = ? ORDER BY epoch, dim',
  ).all(runId) as {
    epoch: number;
    kl: number | null;
    mu_variance: number | null;
  }[];
  const byEpoch = new Map<number, LatentStats>();
  for (const e of epochs) {
    byEpoch.set(e.epoch, { runId, epoch: e.epoch, klPerDim: [], muVariancePerDim: [], activeUnits: e.active_units });
  }
  for (const row of rows) {
    const stats = byEpoch.get(row.epoch);
    if (!stats) continue;
    stats.klPerDim.push(readMetric(row.kl));
    stats.muVariancePerDim.push(readMetric(row.mu_variance));
  }
  return [...byEpoch.values()];
}

export function getEpochImages(db: Database, runId: number, epoch: number): EpochImages | undefined {
  requireRunState(db, runId);
  const row = statement(db, 'SELECT * FROM epoch_images WHERE run_id = ? AND epoch = ?').get(runId, epoch) as
    | {
        width: number;
        height: number;
        input_count: number;
        inputs: Buffer;
        reconstruction_count: number;
        reconstructions: Buffer;
        sample_count: number;
        samples: Buffer;
      }
    | undefined;
  if (!row) return undefined;
  const size = row.width * row.height;
  return {
    width: row.width,
    height: row.height,
    inputs: splitImages(row.inputs, row.input_count, size),
    reconstructions: splitImages(row.reconstructions, row.reconstruction_count, size),
    samples: splitImages(row.samples, row.sample_count, size),
  };
}

export function getEpochTimings(db: Database, runId: number): EpochTimingRecord[] {
  requireRunState(db, runId);
  const rows = statement(
    db,
    'SELECT epoch, wall_time_sec, examples_per_sec, num_tensors, worker, host FROM epochs WHERE run_id = ? ORDER BY epoch',
  ).all(runId) as {
    epoch: number;
    wall_time_sec: number;
    examples_per_sec: number;
    num_tensors: number;
    worker: string | null;
    host: string | null;
  }[];
  return rows.map((row) => ({
    runId,
    epoch: row.epoch,
    wallTimeSec: row.wall_time_sec,
    examplesPerSec: row.examples_per_sec,
    numTensors: row.num_tensors,
    worker: row.worker,
    host: row.host,
  }));
}
