import { z } from 'zod';
import { method } from './contract';
import type { NllProgress, Split } from './runs';

/**
 * The marginal likelihood part of the API contract (spread into the table in api.ts): the importance-sampled test
 * NLL of a run's checkpoint, computed in a child process with progress events, and the stored estimates.
 */

/**
 * An importance-sampled estimate of −log p(x) (Burda et al. 2016, eq. 8 with k samples from q), in nats per
 * example, averaged over `count` examples of a split, for the weights of one checkpointed epoch.
 */
export interface NllEstimate {
  runId: number;
  epoch: number;
  split: Split;
  k: number;
  count: number;
  nll: number;
  createdAt: string;
}

/** Most importance samples per example: 5000 is the literature's standard; beyond 100 000 buys nothing measurable. */
export const MAX_NLL_K = 100_000;

const runId = z.number().int().min(1);

export const nllApi = {
  /**
   * Starts estimating the test NLL of a run's checkpoint (the newest when epoch is absent) in a child process and
   * answers at once; progress and the result arrive as onNllProgress events, the estimate is stored with the run.
   */
  startNllEstimate: method<NllProgress>()(
    z
      .object({
        runId,
        epoch: z.number().int().min(1).optional(),
        k: z.number().int().min(1).max(MAX_NLL_K).default(1000),
        /** The first N test examples the run was evaluated on; null = all of them. */
        examples: z.number().int().min(1).max(1_000_000).nullable().default(null),
      })
      .strict(),
  ),
  /** Stops a run's estimate in progress; nothing is stored. */
  cancelNllEstimate: method<NllProgress | null>()(z.object({ runId }).strict()),
  /** Estimates in progress, so a window opened later shows them. */
  listNllJobs: method<NllProgress[]>()(z.object({}).strict()),
  /** The stored estimates of these runs, ordered by run, epoch, split and k. */
  listNllEstimates: method<NllEstimate[]>()(z.object({ runIds: z.array(runId).min(1).max(5000) }).strict()),
} as const;

/** A run's newest test estimate: what the runs table and Compare show. */
export function latestTestNll(estimates: readonly NllEstimate[], runId: number): NllEstimate | null {
  let latest: NllEstimate | null = null;
  for (const e of estimates) {
    if (e.runId !== runId || e.split !== 'test') continue;
    if (!latest || e.createdAt > latest.createdAt || (e.createdAt === latest.createdAt && e.k > latest.k)) latest = e;
  }
  return latest;
}

/** Total KL below this many nats per example: the posterior carries almost nothing about x. */
export const COLLAPSED_TOTAL_KL_NATS = 0.1;

/**
 * Why a run's latent space looks collapsed, or null: active units (Burda et al. 2016, §5.2) below half the latent
 * dimension, or a total KL under 0.1 nats. Names the figures so the researcher sees how bad it is.
 */
export function collapseWarning(run: {
  latentDim: number;
  activeUnits: number | null;
  totalKl: number | null | undefined;
}): string | null {
  const reasons: string[] = [];
  if (run.activeUnits !== null && run.activeUnits < run.latentDim / 2)
    reasons.push(`${run.activeUnits} of ${run.latentDim} latent dimensions active`);
  if (typeof run.totalKl === 'number' && Number.isFinite(run.totalKl) && run.totalKl < COLLAPSED_TOTAL_KL_NATS)
    reasons.push(`total KL ${run.totalKl.toFixed(3)} nats < ${COLLAPSED_TOTAL_KL_NATS}`);
  return reasons.length === 0 ? null : `posterior collapse: ${reasons.join('; ')}`;
}
