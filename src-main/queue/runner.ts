import type { Database } from 'better-sqlite3';
import { resolveDatasetSource } from '../catalog/datasets';
import { loadCheckpoint } from '../store/checkpoints';
import { recordEpoch } from '../store/metrics';
import {
  claimNextRun,
  markRunFailed,
  markRunFinished,
  markRunStopped,
  recoverOrphanedRuns,
  setRunBackend,
} from '../store/runs';
import { storageFailure } from '../store/errors';
import type { FromWorker } from '../training/protocol';
import type { RunSummary } from '../../src-shared/runs';
import type { RunProgress, SpawnTraining, TrainingProcess } from './types';

export type StopReason = 'paused' | 'cancelled' | 'interrupted';

export interface QueueRunnerOptions {
  db: Database;
  dbPath: string;
  spawn: SpawnTraining;
  /** Force a TF.js backend; null picks the best available. */
  backend?: string | null;
  /** How long a stopped training process gets to finish its batch before it is killed. */
  stopGraceMs?: number;
}

export interface RunOutcome {
  runId: number;
  status: RunSummary['status'];
}

interface ActiveRun {
  run: RunSummary;
  process: TrainingProcess;
  stopAs: StopReason | null;
  settled: Promise<RunOutcome>;
}

function pidIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM means the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Works the persistent queue one run at a time, each in its own training process. The store is the source of
 * truth: the runner claims a run, forwards the child's epochs into the store (one transaction each), and settles
 * the run's status when the child ends. A run whose child dies unexpectedly becomes `interrupted`, resumable from
 * its last checkpoint.
 */
export class QueueRunner {
  private readonly db: Database;
  private readonly dbPath: string;
  private readonly spawn: SpawnTraining;
  private readonly backend: string | null;
  private readonly stopGraceMs: number;
  private active: ActiveRun | null = null;
  private looping = false;
  private closed = false;
  private wakeUp: (() => void) | null = null;
  private readonly progressListeners = new Set<(progress: RunProgress) => void>();
  private readonly queueListeners = new Set<() => void>();
  private readonly runListeners = new Set<(runId: number) => void>();

  constructor(options: QueueRunnerOptions) {
    this.db = options.db;
    this.dbPath = options.dbPath;
    this.spawn = options.spawn;
    this.backend = options.backend ?? null;
    this.stopGraceMs = options.stopGraceMs ?? 10_000;
  }

  /** Runs found `running` whose owning process is gone (a kill -9 of the app) become `interrupted`. */
  recover(): number[] {
    const ids = recoverOrphanedRuns(this.db, (pid) => pid !== process.pid && pidIsAlive(pid));
    for (const id of ids) this.emitRun(id);
    if (ids.length > 0) this.emitQueue();
    return ids;
  }

  /** Works the queue in the background for as long as the runner lives; idles until `wake()` when it is empty. */
  start(): void {
    if (this.looping) return;
    this.recover();
    this.looping = true;
    void this.loop(false).finally(() => {
      this.looping = false;
    });
  }

  /** Works the queue until no run is left to claim; resolves with each run's outcome (the CLI's `run`). */
  async runUntilEmpty(): Promise<RunOutcome[]> {
    this.recover();
    return this.loop(true);
  }

  /** Call after queueing, resuming, reordering or un-pausing, so an idle runner looks again. */
  wake(): void {
    const wake = this.wakeUp;
    this.wakeUp = null;
    wake?.();
  }

  get activeRunId(): number | null {
    return this.active?.run.id ?? null;
  }

  /**
   * Stops the run in training at the end of its current batch. It keeps every finished epoch and its checkpoint;
   * a paused, interrupted or cancelled run can be resumed (requeueRun in the store says which).
   */
  async stopRun(runId: number, as: StopReason): Promise<void> {
    const active = this.active;
    if (!active || active.run.id !== runId) throw new Error(`run ${runId} is not training in this process`);
    if (active.stopAs === null) active.stopAs = as;
    active.process.send({ type: 'stop' });
    const timer = setTimeout(() => active.process.kill(), this.stopGraceMs);
    try {
      await active.settled;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Stops the run in training (it becomes `interrupted`, resumable) and stops working the queue. */
  async shutdown(): Promise<void> {
    this.closed = true;
    this.wake();
    const active = this.active;
    if (active) await this.stopRun(active.run.id, 'interrupted');
  }

  onProgress(listener: (progress: RunProgress) => void): () => void {
    this.progressListeners.add(listener);
    return () => this.progressListeners.delete(listener);
  }

  onQueueChanged(listener: () => void): () => void {
    this.queueListeners.add(listener);
    return () => this.queueListeners.delete(listener);
  }

  onRunChanged(listener: (runId: number) => void): () => void {
    this.runListeners.add(listener);
    return () => this.runListeners.delete(listener);
  }

  private emitQueue(): void {
    for (const listener of this.queueListeners) listener();
  }

  private emitRun(runId: number): void {
    for (const listener of this.runListeners) listener(runId);
  }

  private async loop(untilEmpty: boolean): Promise<RunOutcome[]> {
    const outcomes: RunOutcome[] = [];
    while (!this.closed) {
      const run = claimNextRun(this.db, process.pid);
      if (!run) {
        if (untilEmpty) break;
        await new Promise<void>((resolve) => {
          this.wakeUp = resolve;
          // A second process (the CLI) may queue into the same database: look again now and then.
          setTimeout(resolve, 2000).unref();
        });
        this.wakeUp = null;
        continue;
      }
      this.emitQueue();
      this.emitRun(run.id);
      outcomes.push(await this.train(run));
      this.emitQueue();
    }
    return outcomes;
  }

  private train(run: RunSummary): Promise<RunOutcome> {
    let settle!: (outcome: RunOutcome) => void;
    const settled = new Promise<RunOutcome>((resolve) => (settle = resolve));
    let ended = false;
    const end = (status: RunSummary['status'], apply: () => void): void => {
      if (ended) return;
      ended = true;
      try {
        apply();
      } catch (error) {
        console.error(`run ${run.id}: could not record its end: ${(error as Error).message}`);
      }
      this.active = null;
      this.emitRun(run.id);
      settle({ runId: run.id, status });
    };

    let child: TrainingProcess;
    try {
      const dataset = resolveDatasetSource(this.db, this.dbPath, run.config.dataset);
      const resumeFrom = run.epochsDone > 0 ? (loadCheckpoint(this.db, run.id) ?? null) : null;
      if (run.epochsDone > 0 && !resumeFrom) {
        throw new Error(
          `run ${run.id} has ${run.epochsDone} epochs but no checkpoint with optimizer state to resume from`,
        );
      }
      child = this.spawn();
      child.send({ type: 'start', runId: run.id, config: run.config, dataset, resumeFrom, backend: this.backend });
    } catch (error) {
      end('failed', () => markRunFailed(this.db, run.id, (error as Error).message));
      return settled;
    }

    const active: ActiveRun = { run, process: child, stopAs: null, settled };
    this.active = active;
    const epochs = run.config.epochs;
    let finished = false;
    let failure: string | null = null;
    // The database could not be written (disk full, read-only): the run stops at its last whole epoch, resumable.
    let storageProblem: string | null = null;

    child.onMessage((message: FromWorker) => {
      if (ended) return;
      try {
        switch (message.type) {
          case 'ready':
            setRunBackend(this.db, run.id, message.backend);
            this.emitRun(run.id);
            break;
          case 'batch': {
            const remainingBatches = message.batches - message.batch + (epochs - message.epoch) * message.batches;
            const batchesPerSec = message.examplesPerSec / Math.max(1, run.config.batchSize);
            const progress: RunProgress = {
              runId: run.id,
              epoch: message.epoch,
              epochs,
              batch: message.batch,
              batches: message.batches,
              recon: message.recon,
              kl: message.kl,
              loss: message.loss,
              examplesPerSec: message.examplesPerSec,
              etaSec: batchesPerSec > 0 ? remainingBatches / batchesPerSec : null,
            };
            for (const listener of this.progressListeners) listener(progress);
            break;
          }
          case 'epoch':
            recordEpoch(this.db, run.id, message);
            this.emitRun(run.id);
            break;
          case 'failed':
            failure = `epoch ${message.epoch}: ${message.message}`;
            break;
          case 'finished':
            finished = true;
            break;
        }
      } catch (error) {
        // The store refused what the child sent: stop training rather than lose or double an epoch.
        storageProblem = storageFailure(error, this.dbPath);
        if (storageProblem === null) failure = `could not record the run's results: ${(error as Error).message}`;
        child.kill();
      }
    });

    child.onExit((code, signal) => {
      if (storageProblem !== null) {
        const message = storageProblem;
        console.error(`run ${run.id}: ${message}`);
        end('interrupted', () => markRunStopped(this.db, run.id, 'interrupted', message));
      } else if (failure !== null) {
        const message = failure;
        end('failed', () => markRunFailed(this.db, run.id, message));
      } else if (finished) {
        end('finished', () => markRunFinished(this.db, run.id));
      } else if (active.stopAs !== null) {
        const as = active.stopAs;
        end(as, () => markRunStopped(this.db, run.id, as, `stopped (${as})`));
      } else {
        const how = signal ? `killed by ${signal}` : `exited with code ${code}`;
        end('interrupted', () =>
          markRunStopped(
            this.db,
            run.id,
            'interrupted',
            `training process ${how}; resume continues from the last checkpoint`,
          ),
        );
      }
    });

    return settled;
  }
}
