import type { Database } from 'better-sqlite3';
import { resolveDatasetSource } from '../catalog/datasets';
import { loadCheckpoint } from '../store/checkpoints';
import { recordEpoch } from '../store/metrics';
import {
  claimNextRun,
  markRunFailed,
  markRunFinished,
  markRunStopped,
  readStopRequests,
  recordInterruption,
  recoverOrphanedRuns,
  requeueInterruptedRuns,
  RETRY_LIMIT,
  setRunBackend,
} from '../store/runs';
import { testElboAgainstPeers } from '../store/sweeps';
import { storageFailure } from '../store/errors';
import type { FromWorker } from '../training/protocol';
import { medianStopVerdict } from '../../src-shared/early-stop';
import type { RunSummary } from '../../src-shared/runs';
import { backendChoices, type BackendPreference } from '../../src-shared/backends';
import { allowSoftwareGpuEnvVar, backendEnvVar } from '../training/backend-order';
import type { RunProgress, SpawnTraining, TrainingProcess } from './types';
import { cpuThreadsPerRun, TrainingProcessPool } from './process-pool';

export type StopReason = 'paused' | 'cancelled' | 'interrupted' | 'stopped-early';

export interface QueueRunnerOptions {
  db: Database;
  dbPath: string;
  spawn: SpawnTraining;
  /** Force a TF.js backend, or 'auto'; null takes VAE_WORKBENCH_BACKEND, else the best available. */
  backend?: string | null;
  /** How long a stopped training process gets to finish its batch before it is killed. */
  stopGraceMs?: number;
  /**
   * How many runs train at once (each in its own training process, a "slot"); read again whenever a slot frees, so a
   * new setting takes effect without a restart. Default 1.
   */
  workers?: number | (() => number);
  /** Automatic requeues after a training process died, before the run is failed. */
  retryLimit?: number;
  /** How often runs in training are checked for a pause or cancel asked by another process, ms. */
  stopPollMs?: number;
  /** How long a training process waits for the next run before it is ended, ms (default 30 s). */
  keepIdleMs?: number;
  /** Let a training process train the slot's next run (default true); false starts one per run. */
  reuseProcesses?: boolean;
}

/** CPU seconds this process spent on the runs' messages (bench:sweep shows where a coordinator's time goes). */
export interface RunnerCpu {
  /** Writing each epoch (metrics, images, checkpoint) into the store. */
  recordEpochSec: number;
  /** Handing per-batch progress to the listeners. */
  progressSec: number;
  batchMessages: number;
  /** Training processes started. */
  processesStarted: number;
}

export interface RunOutcome {
  runId: number;
  status: RunSummary['status'];
}

interface ActiveRun {
  run: RunSummary;
  process: TrainingProcess;
  stopAs: StopReason | null;
  /** What the run's error text says about the stop, when more than its status. */
  stopReason: string | null;
  settled: Promise<RunOutcome>;
}

export function pidIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM means the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Works the persistent queue, up to `workers` runs at once, each in its own training process (a slot). The store is the
 * source of truth: the runner claims a run, forwards the child's epochs into the store (one transaction each), and
 * settles the run's status when the child ends. A run whose child dies unexpectedly becomes `interrupted`; the next
 * pass over the queue (this runner's, or any other process's) puts it back at the front to continue from its last
 * checkpoint, up to the retry limit. A slot is whatever `spawn` returns: a forked process here; anything that speaks
 * the training protocol (ChildHandle<ToWorker, FromWorker>) could stand in for one. A slot's process trains the slot's
 * next run too (see TrainingProcessPool); the run still ends when its lease of the process does.
 */
export class QueueRunner {
  private readonly db: Database;
  private readonly dbPath: string;
  private backend: string | null;
  /** null: the training process reads VAE_WORKBENCH_ALLOW_SOFTWARE_GPU. */
  private allowSoftwareGpu: boolean | null = null;
  private readonly stopGraceMs: number;
  private readonly retryLimit: number;
  private readonly stopPollMs: number;
  private workersOf: () => number;
  private readonly active = new Map<number, ActiveRun>();
  private readonly pool: TrainingProcessPool;
  private readonly cpuSpent: Omit<RunnerCpu, 'processesStarted'> = {
    recordEpochSec: 0,
    progressSec: 0,
    batchMessages: 0,
  };
  private looping = false;
  private closed = false;
  private wakeUp: (() => void) | null = null;
  private wakeRequested = false;
  private stopPoll: ReturnType<typeof setInterval> | null = null;
  private readonly progressListeners = new Set<(progress: RunProgress) => void>();
  private readonly queueListeners = new Set<() => void>();
  private readonly runListeners = new Set<(runId: number) => void>();

  constructor(options: QueueRunnerOptions) {
    this.db = options.db;
    this.dbPath = options.dbPath;
    this.backend = options.backend ?? null;
    this.stopGraceMs = options.stopGraceMs ?? 10_000;
    this.retryLimit = options.retryLimit ?? RETRY_LIMIT;
    this.stopPollMs = options.stopPollMs ?? 250;
    this.workersOf = toWorkers(options.workers);
    this.pool = new TrainingProcessPool({
      spawn: options.spawn,
      // A process waits for the next run only while there is a slot for it.
      canKeep: (idle) => !this.closed && this.active.size + idle < this.workers,
      keepIdleMs: options.keepIdleMs,
      reuse: options.reuseProcesses,
    });
  }

  /** How many runs this runner trains at once, now. */
  get workers(): number {
    return Math.max(1, Math.floor(this.workersOf()));
  }

  /** A new number of slots: more start at once; fewer let the runs in training finish and start no new ones. */
  setWorkers(workers: number | (() => number)): void {
    this.workersOf = toWorkers(workers);
    this.wake();
  }

  /** What the next runs ask for: the choice made here, else the one the environment gives the training process. */
  get backendPreference(): BackendPreference {
    const named = this.backend ?? process.env[backendEnvVar];
    const allowEnv = process.env[allowSoftwareGpuEnvVar];
    return {
      backend: backendChoices.find((c) => c === named) ?? 'auto',
      allowSoftwareGpu: this.allowSoftwareGpu ?? (allowEnv !== undefined && allowEnv !== '' && allowEnv !== '0'),
    };
  }

  /** Applies from the next run on; the run in training keeps its backend. */
  setBackendPreference(preference: BackendPreference): void {
    this.backend = preference.backend;
    this.allowSoftwareGpu = preference.allowSoftwareGpu;
  }

  /** Runs found `running` whose owning process is gone (a kill -9 of the app) become `interrupted`. */
  recover(): number[] {
    const ids = recoverOrphanedRuns(this.db, (pid) => pid !== process.pid && pidIsAlive(pid));
    for (const id of ids) this.emitRun(id);
    if (ids.length > 0) this.emitQueue();
    return ids;
  }

  /**
   * Recovery without typing: orphaned runs become interrupted, and every interrupted run goes back to the front of the
   * queue to continue from its last checkpoint. Returns the requeued ids.
   */
  requeueInterrupted(): number[] {
    this.recover();
    const ids = requeueInterruptedRuns(this.db);
    for (const id of ids) this.emitRun(id);
    if (ids.length > 0) this.emitQueue();
    return ids;
  }

  /** Works the queue in the background for as long as the runner lives; idles until `wake()` when it is empty. */
  start(): void {
    if (this.looping) return;
    this.requeueInterrupted();
    this.looping = true;
    void this.loop(false).finally(() => {
      this.looping = false;
    });
  }

  /** Works the queue until no run is left to claim; resolves with each run's outcome (the CLI's `run`). */
  async runUntilEmpty(): Promise<RunOutcome[]> {
    this.requeueInterrupted();
    return this.loop(true);
  }

  /** Call after queueing, resuming, reordering or un-pausing, so an idle runner looks again. */
  wake(): void {
    this.wakeRequested = true;
    const wake = this.wakeUp;
    this.wakeUp = null;
    wake?.();
  }

  /** The first run in training, if any (see activeRunIds for all of them). */
  get activeRunId(): number | null {
    return this.activeRunIds[0] ?? null;
  }

  /** Every run this runner is training, oldest claim first. */
  get activeRunIds(): number[] {
    return [...this.active.keys()];
  }

  isTraining(runId: number): boolean {
    return this.active.has(runId);
  }

  /**
   * Stops a run in training at the end of its current batch. It keeps every finished epoch and its checkpoint;
   * a paused, interrupted, stopped-early or cancelled run can be resumed (requeueRun in the store says which).
   */
  async stopRun(runId: number, as: StopReason, reason?: string): Promise<void> {
    const active = this.active.get(runId);
    if (!active) throw new Error(`run ${runId} is not training in this process`);
    if (active.stopAs === null) {
      active.stopAs = as;
      active.stopReason = reason ?? null;
    }
    active.process.send({ type: 'stop' });
    const timer = setTimeout(() => active.process.kill(), this.stopGraceMs);
    try {
      await active.settled;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Stops every run in training (they become `interrupted`, resumed by the next runner) and stops working the queue. */
  async shutdown(): Promise<void> {
    this.closed = true;
    this.wake();
    await Promise.all(this.activeRunIds.map((id) => this.stopRun(id, 'interrupted')));
    this.pool.endIdle();
  }

  /** Training processes waiting between runs, now. */
  get idleProcesses(): number {
    return this.pool.idleProcesses;
  }

  /** CPU seconds spent on the runs' messages, and training processes started. */
  get cpu(): RunnerCpu {
    return { ...this.cpuSpent, processesStarted: this.pool.processesStarted };
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
    const settling = new Set<Promise<unknown>>();
    while (!this.closed) {
      this.wakeRequested = false;
      let claimed = false;
      while (!this.closed && this.active.size < this.workers) {
        const run = claimNextRun(this.db, process.pid);
        if (!run) break;
        claimed = true;
        this.emitQueue();
        this.emitRun(run.id);
        const done = this.train(run).then((outcome) => {
          outcomes.push(outcome);
          settling.delete(done);
          this.emitQueue();
          this.wake();
        });
        settling.add(done);
      }
      if (untilEmpty && !claimed && this.active.size === 0) break;
      if (!claimed && !untilEmpty && this.active.size === 0) {
        // The background runner is the next pass over the queue for runs whose process died meanwhile.
        if (this.requeueInterrupted().length > 0) continue;
      }
      if (this.wakeRequested) continue;
      await new Promise<void>((resolve) => {
        this.wakeUp = resolve;
        // A second process (the CLI) may queue into the same database: look again now and then.
        setTimeout(resolve, 2000).unref();
      });
      this.wakeUp = null;
    }
    await Promise.all(settling);
    if (untilEmpty || this.closed) this.pool.endIdle();
    return outcomes;
  }

  /** Pauses and cancels asked by another process (the CLI's `cancel`) reach the run's training process here. */
  private pollStopRequests(): void {
    if (this.active.size === 0) return;
    for (const [runId, as] of readStopRequests(this.db, this.activeRunIds)) {
      const active = this.active.get(runId);
      if (active && active.stopAs === null) void this.stopRun(runId, as, `${as} from another process`);
    }
  }

  private ensureStopPoll(): void {
    if (this.active.size > 0 && this.stopPoll === null) {
      this.stopPoll = setInterval(() => this.pollStopRequests(), this.stopPollMs);
      this.stopPoll.unref();
    } else if (this.active.size === 0 && this.stopPoll !== null) {
      clearInterval(this.stopPoll);
      this.stopPoll = null;
    }
  }

  /** Median stopping after a stored epoch: stops the run as `stopped-early` when it trails its finished peers. */
  private checkEarlyStop(active: ActiveRun, epoch: number): void {
    const { run } = active;
    if (run.earlyStop !== 'median' || epoch >= run.config.epochs || active.stopAs !== null) return;
    const { elbo, peers } = testElboAgainstPeers(this.db, run.id, epoch);
    if (elbo === undefined) return;
    const verdict = medianStopVerdict(epoch, elbo, peers);
    if (verdict.stop) void this.stopRun(run.id, 'stopped-early', `stopped early: ${verdict.reason}`);
  }

  private train(run: RunSummary): Promise<RunOutcome> {
    let settle!: (outcome: RunOutcome) => void;
    const settled = new Promise<RunOutcome>((resolve) => (settle = resolve));
    let ended = false;
    const end = (status: RunSummary['status'], apply: () => RunSummary['status'] | void): void => {
      if (ended) return;
      ended = true;
      let final = status;
      try {
        final = apply() ?? status;
      } catch (error) {
        console.error(`run ${run.id}: could not record its end: ${(error as Error).message}`);
      }
      this.active.delete(run.id);
      this.ensureStopPoll();
      this.emitRun(run.id);
      settle({ runId: run.id, status: final });
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
      child = this.pool.lease(JSON.stringify([this.backend, this.allowSoftwareGpu]));
      child.send({
        type: 'start',
        runId: run.id,
        config: run.config,
        dataset,
        resumeFrom,
        backend: this.backend,
        ...(this.allowSoftwareGpu === null ? {} : { allowSoftwareGpu: this.allowSoftwareGpu }),
        cpuThreads: cpuThreadsPerRun(this.workers),
      });
    } catch (error) {
      end('failed', () => void markRunFailed(this.db, run.id, (error as Error).message));
      return settled;
    }

    const active: ActiveRun = { run, process: child, stopAs: null, stopReason: null, settled };
    this.active.set(run.id, active);
    this.ensureStopPoll();
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
            const cpuBefore = cpuSeconds();
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
            this.cpuSpent.batchMessages += 1;
            this.cpuSpent.progressSec += cpuSeconds() - cpuBefore;
            break;
          }
          case 'epoch': {
            const cpuBefore = cpuSeconds();
            recordEpoch(this.db, run.id, message);
            this.cpuSpent.recordEpochSec += cpuSeconds() - cpuBefore;
            this.emitRun(run.id);
            this.checkEarlyStop(active, message.epoch);
            break;
          }
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
        // Counted like a crash, so automatic recovery stops retrying while the disk stays full.
        end('interrupted', () => recordInterruption(this.db, run.id, message, { retryLimit: this.retryLimit }).status);
      } else if (failure !== null) {
        const message = failure;
        end('failed', () => void markRunFailed(this.db, run.id, message));
      } else if (finished) {
        end('finished', () => void markRunFinished(this.db, run.id));
      } else if (active.stopAs !== null) {
        const as = active.stopAs;
        const reason = active.stopReason ?? `stopped (${as})`;
        end(as, () => void markRunStopped(this.db, run.id, as, reason));
      } else {
        const how = signal ? `killed by ${signal}` : `exited with code ${code}`;
        end(
          'interrupted',
          () =>
            recordInterruption(this.db, run.id, `training process ${how}; resume continues from the last checkpoint`, {
              retryLimit: this.retryLimit,
            }).status,
        );
      }
    });

    return settled;
  }
}

function cpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

function toWorkers(workers: number | (() => number) | undefined): () => number {
  if (typeof workers === 'function') return workers;
  const fixed = workers ?? 1;
  return () => fixed;
}
