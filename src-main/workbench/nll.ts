import { deterministicKind } from '../../src-shared/baselines';
import type { Database } from 'better-sqlite3';
import { loadDatasetSource } from '../data/load';
import { loadCheckpoint } from '../store/checkpoints';
import { runNotFound } from '../store/errors';
import type { NllEstimate } from '../../src-shared/nll';
import { saveNllEstimate } from '../store/nll';
import { getRun } from '../store/runs';
import { selectBackend } from '../training/backend';
import { testSplitNll, type SplitNllOptions } from '../training/nll';
import { resolveDatasetSource } from '../catalog/datasets';
import { ApiError, type MethodInputParsed } from '../../src-shared/api';
import type { NllProgress } from '../../src-shared/runs';
import type { BackendPreference } from '../../src-shared/backends';
import { NLL_REQUEST, type FromLatent, type NllRequest } from '../latent/protocol';
import type { LatentProcess, SpawnLatent } from '../latent/service';
import { listNllEstimatesOfRuns } from '../store/nll';

export interface TestNllOptions extends SplitNllOptions {
  /** The checkpoint's epoch; the newest checkpoint when omitted. */
  epoch?: number;
}

/** The run's stored estimates (the CLI's `show`; reports read them too). */
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
      `run ${run.id} is ${deterministicKind(run.config)}: the importance-sampled NLL needs a stochastic encoder q(z|x)`,
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

/**
 * Test-NLL estimates requested from the window: each runs in a latent process of its own (started by the same
 * SpawnLatent as the latent views, so utilityProcess in the app and fork in browser mode), never on main's event
 * loop and never queued behind the latent views; cancelling kills that process. One estimate per run at a time.
 * Progress, the result and failures go out as onNllProgress; the estimate is stored with the run.
 */
export class NllJobs {
  private readonly jobs = new Map<number, { progress: NllProgress; child: LatentProcess; cancelled: boolean }>();

  constructor(
    private readonly ctx: {
      db: Database;
      dbPath: string;
      spawn: SpawnLatent;
      /** The backend the estimate's process starts on: the one the latent views follow (undefined: the environment's). */
      backend?: () => BackendPreference | undefined;
      emit: (progress: NllProgress) => void;
      now?: () => number;
    },
  ) {}

  list(): NllProgress[] {
    return [...this.jobs.values()].map((j) => j.progress);
  }

  start(input: { runId: number; epoch?: number; k: number; examples: number | null }): NllProgress {
    const run = getRun(this.ctx.db, input.runId);
    if (!run) throw runNotFound(input.runId);
    if (this.jobs.has(run.id)) {
      throw new ApiError('Conflict', `run ${run.id} already has an NLL estimate in progress; cancel it first`);
    }
    if (run.config.autoencoder) {
      throw new ApiError(
        'ValidationError',
        `run ${run.id} is ${deterministicKind(run.config)}: the importance-sampled NLL needs a stochastic encoder q(z|x)`,
      );
    }
    if (run.epochsDone === 0) throw new ApiError('NotFound', `run ${run.id} has no checkpoint yet`);
    const now = this.ctx.now ?? Date.now;
    const child = this.ctx.spawn(this.ctx.dbPath, this.ctx.backend?.());
    const job = {
      progress: {
        runId: run.id,
        epoch: input.epoch ?? null,
        k: input.k,
        done: 0,
        total: 0,
        etaSec: null,
        state: 'starting',
        nll: null,
        error: null,
      } as NllProgress,
      child,
      cancelled: false,
    };
    this.jobs.set(run.id, job);
    // The pace is measured from the first progress message (sent once TF.js, the model and the dataset are loaded),
    // so the start-up is not part of it and the first batch already gives an ETA.
    let paceFrom: { at: number; done: number } | null = null;
    const update = (patch: Partial<NllProgress>): void => {
      job.progress = { ...job.progress, ...patch };
      this.ctx.emit(job.progress);
    };
    const end = (patch: Partial<NllProgress>): void => {
      if (this.jobs.get(run.id) !== job) return;
      this.jobs.delete(run.id);
      update({ etaSec: null, ...patch });
      child.kill();
    };
    child.onMessage((message: FromLatent) => {
      if (message.type === 'fatal') end({ state: 'failed', error: message.error.message });
      else if (message.type === 'progress') {
        const t = now();
        if (paceFrom === null) paceFrom = { at: t, done: message.done };
        const pace =
          paceFrom && message.done > paceFrom.done ? (t - paceFrom.at) / 1000 / (message.done - paceFrom.done) : null;
        update({
          state: 'running',
          epoch: message.epoch,
          done: message.done,
          total: message.total,
          etaSec: pace === null ? null : pace * (message.total - message.done),
        });
      } else if (message.type === 'result') {
        if (!message.ok) return end({ state: 'failed', error: message.error.message });
        const result = message.result as { epoch: number; k: number; count: number; nll: number };
        try {
          const saved = saveNllEstimate(this.ctx.db, { ...result, runId: run.id, split: 'test' });
          end({ state: 'finished', epoch: saved.epoch, nll: saved.nll, done: saved.count, total: saved.count });
        } catch (error) {
          end({ state: 'failed', error: (error as Error).message });
        }
      }
    });
    child.onExit((code, signal) => {
      if (job.cancelled) end({ state: 'cancelled' });
      else end({ state: 'failed', error: `the NLL process ended (${signal ?? `code ${code}`}) before its estimate` });
    });
    const request: NllRequest = { runId: run.id, epoch: input.epoch, k: input.k, examples: input.examples };
    child.send({ id: 1, method: NLL_REQUEST, input: request });
    this.ctx.emit(job.progress);
    return job.progress;
  }

  cancel(runId: number): NllProgress | null {
    const job = this.jobs.get(runId);
    if (!job) return null;
    job.cancelled = true;
    this.jobs.delete(runId);
    job.progress = { ...job.progress, state: 'cancelled', etaSec: null };
    this.ctx.emit(job.progress);
    job.child.kill();
    return job.progress;
  }

  close(): void {
    for (const runId of [...this.jobs.keys()]) this.cancel(runId);
  }
}

/** The marginal-likelihood methods of the contract over the jobs and the store. */
export function createNllHandlers(jobs: NllJobs, db: Database) {
  return {
    startNllEstimate: (input: MethodInputParsed<'startNllEstimate'>) => jobs.start(input),
    cancelNllEstimate: ({ runId }: { runId: number }) => jobs.cancel(runId),
    listNllJobs: () => jobs.list(),
    listNllEstimates: ({ runIds }: { runIds: number[] }): NllEstimate[] => listNllEstimatesOfRuns(db, runIds),
  };
}
