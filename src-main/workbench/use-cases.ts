import {
  ApiError,
  type EpochImagesData,
  type QueueState,
  type RemoteWorkerInfo,
  type WorkbenchInfo,
  type WorkersSetting,
} from '../../src-shared/api';
import type { ExperimentConfig } from '../../src-shared/config';
import type { DatasetChoice } from '../../src-shared/import';
import { expandSweep, isRandomSearch, MAX_SEARCH_SEED, type SweepSpec } from '../../src-shared/sweep';
import type {
  CheckpointInfo,
  EpochMetrics,
  Experiment,
  LatentStats,
  RunStatus,
  RunSummary,
} from '../../src-shared/runs';
import type { Handlers } from '../api/dispatcher';
import type { EventHub } from '../api/events';
import type { LatentHandlers } from '../latent/handlers';
import type { nllApi } from '../../src-shared/nll';
import type { reportApi } from '../../src-shared/report';
import type { importApi } from '../../src-shared/import';
import type { EpochImages } from '../../src-shared/runs';
import type { BackendPreference } from '../../src-shared/backends';
import type { BackendSetting } from './backend-setting';
import { describeAdapter } from '../../src-shared/runs';
import type { RunList } from '../../src-shared/run-list';
import { backendOrder } from '../training/backend-order';
import { automaticWorkers, checkWorkers, maxWorkers } from '../queue/workers';
import { availableParallelism } from 'node:os';

/**
 * What the use cases need from the store: plain typed objects in and out (bound to SQLite in store-binding.ts).
 * The store states the rules about run states (which runs can be resumed, cancelled, moved) and refuses the rest
 * with a StoreError 'conflict' naming the run, its status and the allowed statuses; the use cases do not restate them.
 */
export interface WorkbenchStore {
  listDatasets(): DatasetChoice[];
  listExperiments(): Experiment[];
  queueRuns(
    experimentName: string,
    configs: ExperimentConfig[],
    options?: { earlyStop?: SweepSpec['earlyStop']; search?: { spec: SweepSpec; samples: number; seed: number } },
  ): { experimentId: number; runIds: number[] };
  /** Asks the process training the run to stop it (pause or cancel) after its current batch. */
  requestStop(runId: number, as: 'paused' | 'cancelled'): void;
  /** Every run whose status is running, whichever process trains it. */
  runningRunIds(): number[];
  getWorkersSetting(): number | null;
  setWorkersSetting(workers: number | null): void;
  /** Column by column (see RunList). */
  listRuns(filter: { experimentId?: number; status?: RunStatus[] }): RunList;
  /** The most recently started run that reported a backend: the newest word on which backend is in use. */
  latestRunWithBackend(): RunSummary | undefined;
  getRun(runId: number): RunSummary | undefined;
  cancelRun(runId: number): void;
  /** Resume: back in the queue at its front, so it trains next. */
  requeueRun(runId: number): void;
  setRunNotes(runId: number, notes: string): void;
  setRunTags(runId: number, tags: string[]): void;
  getQueue(): { paused: boolean; runIds: number[] };
  setQueuePaused(paused: boolean): void;
  moveRun(runId: number, toIndex: number): void;
  getEpochMetrics(runIds: number[]): EpochMetrics[];
  getLatentStats(runId: number): LatentStats[];
  getEpochImages(runId: number, epoch: number): EpochImages | undefined | null;
  listCheckpoints(runId: number): CheckpointInfo[];
}

/** What the handlers need from the queue runner. */
export interface RunnerControl {
  readonly activeRunId: number | null;
  readonly workers: number;
  isTraining(runId: number): boolean;
  wake(): void;
  stopRun(runId: number, as: 'paused' | 'cancelled'): Promise<void>;
  readonly backendPreference: BackendPreference;
  setBackendPreference(preference: BackendPreference): void;
}

/** How many runs train at once: what the machine allows and what it would choose (src-main/queue/workers.ts). */
export interface WorkersPolicy {
  cores: number;
  max: number;
  automatic(): { workers: number; reason: string };
  /** Throws an ApiError naming the value and the allowed range. */
  check(workers: number): number;
  /** A number given on the command line; it wins over the stored setting. */
  override: number | null;
}

export interface HandlerContext {
  store: WorkbenchStore;
  runner: RunnerControl;
  events: EventHub;
  info: { version: string; dbPath: string; transport: 'ipc' | 'http' };
  /** Default: this machine's cores, automatic for an unknown backend, no command-line number. */
  workers?: WorkersPolicy;
  /** How long a pause or cancel of a run another process trains may take to land, ms. */
  remoteStopTimeoutMs?: number;
  /** The workers over Redis, when the runs train on them. */
  remoteWorkers?: () => Promise<RemoteWorkerInfo[]>;
  /** The saved backend preference; default: the runner's, for this session only. */
  backendSetting?: BackendSetting;
}

/** The machine's policy: its cores, the backend forced or last used, and a number from the command line if any. */
export function workersPolicy(backend: string | null, override: number | null): WorkersPolicy {
  const cores = availableParallelism();
  return {
    cores,
    max: maxWorkers(cores),
    automatic: () => automaticWorkers(backend, cores),
    check: (workers) => checkWorkers(workers, cores),
    override: override === null ? null : checkWorkers(override, cores),
  };
}

/** The number of runs to train at once: the command line's, else the stored setting, else automatic. */
export function workersInForce(store: Pick<WorkbenchStore, 'getWorkersSetting'>, policy: WorkersPolicy): number {
  return policy.override ?? store.getWorkersSetting() ?? policy.automatic().workers;
}

/** The queue as the UI sees it: the order, the paused flag and every run in training, here or elsewhere. */
export function queueStateOf(store: WorkbenchStore, runner: RunnerControl): QueueState {
  const { paused, runIds } = store.getQueue();
  const activeRunIds = store.runningRunIds();
  const activeRunId = runner.activeRunId ?? activeRunIds[0] ?? null;
  return { paused, runIds, activeRunId, activeRunIds };
}

/** The workbench's own use cases; the latent views' come from createLatentHandlers and are spread in beside them. */
export type WorkbenchHandlers = Omit<
  Handlers,
  keyof LatentHandlers | keyof typeof reportApi | keyof typeof nllApi | keyof typeof importApi
>;

export function createHandlers(ctx: HandlerContext): WorkbenchHandlers {
  const { store, runner, events } = ctx;
  const policy = ctx.workers ?? workersPolicy(null, null);
  const backend: BackendSetting = ctx.backendSetting ?? {
    get inForce() {
      return { ...runner.backendPreference, source: 'default' as const };
    },
    choose(preference) {
      runner.setBackendPreference(preference);
      return this.inForce;
    },
  };

  const requireRun = (runId: number): RunSummary => {
    const run = store.getRun(runId);
    if (!run) throw new ApiError('NotFound', `runId = ${runId}: no such run`);
    return run;
  };

  const queueState = (): QueueState => queueStateOf(store, runner);

  const workersSetting = (): WorkersSetting => {
    const auto = policy.automatic();
    return {
      workers: workersInForce(store, policy),
      setting: store.getWorkersSetting(),
      automatic: auto.workers,
      reason: auto.reason,
      max: policy.max,
      cores: policy.cores,
      override: policy.override,
    };
  };

  /**
   * Pause or cancel: the runner here stops a run it trains; a run another process trains gets a stop request in the
   * store, which that process's runner reads between batches; this waits until the run has stopped.
   */
  const stopTraining = async (runId: number, as: 'paused' | 'cancelled'): Promise<void> => {
    if (runner.isTraining(runId)) {
      await runner.stopRun(runId, as);
      return;
    }
    store.requestStop(runId, as);
    const deadline = Date.now() + (ctx.remoteStopTimeoutMs ?? 60_000);
    while (store.getRun(runId)?.status === 'running') {
      if (Date.now() > deadline) {
        throw new ApiError(
          'StateError',
          `run ${runId} is trained by another process that has not stopped it yet; it stops after its current batch once that process looks`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    runChanged(runId);
  };

  const queueChanged = (): void => events.emit('onQueueChanged', queueState());
  const runChanged = (runId: number): void => events.emit('onRunChanged', { runId });

  return {
    getInfo: (): WorkbenchInfo => {
      const latest = store.latestRunWithBackend() ?? null;
      return {
        ...ctx.info,
        backend: latest
          ? {
              name: latest.backend ?? '',
              adapter: latest.adapter === null ? null : describeAdapter(latest.adapter),
              note: latest.backendNote,
              runId: latest.id,
            }
          : null,
        backendPreference: backend.inForce,
        backendOrder,
      };
    },

    listDatasets: () => store.listDatasets(),
    listExperiments: () => store.listExperiments(),

    queueSweep: ({ experimentName, sweep }) => {
      const spec = sweep as SweepSpec;
      // A random search's seed is part of what it is: picked here when not given, recorded with the experiment.
      const random = isRandomSearch(spec);
      const searchSeed = random ? (spec.searchSeed ?? Math.floor(Math.random() * MAX_SEARCH_SEED)) : null;
      const drawn: SweepSpec = searchSeed === null ? spec : { ...spec, searchSeed };
      const configs = expandSweep(drawn);
      const datasets = store.listDatasets();
      for (const id of new Set(configs.map((c) => c.dataset))) {
        const found = datasets.find((d) => d.id === id);
        const usable = datasets.filter((d) => d.available).map((d) => d.id);
        if (!found)
          throw new ApiError(
            'ConfigError',
            `dataset = "${id}": no such dataset; available: ${usable.join(', ') || 'none'}`,
          );
        if (!found.available)
          throw new ApiError('ConfigError', `dataset = "${id}": not available (${found.note ?? 'not installed'})`);
      }
      const queued = store.queueRuns(experimentName, configs, {
        earlyStop: spec.earlyStop,
        search: searchSeed === null ? undefined : { spec: drawn, samples: configs.length, seed: searchSeed },
      });
      runner.wake();
      queueChanged();
      for (const id of queued.runIds) runChanged(id);
      return { ...queued, searchSeed };
    },

    listRuns: (filter) => store.listRuns(filter),
    getRun: ({ runId }) => requireRun(runId),
    getQueue: () => queueState(),
    listRemoteWorkers: async () => (ctx.remoteWorkers ? ctx.remoteWorkers() : []),

    setBackendPreference: (preference) => backend.choose(preference),

    setQueuePaused: ({ paused }) => {
      store.setQueuePaused(paused);
      if (!paused) runner.wake();
      queueChanged();
      return queueState();
    },

    pauseRun: async ({ runId }) => {
      const run = requireRun(runId);
      if (run.status !== 'running') {
        throw new ApiError(
          'StateError',
          `run ${runId} is ${run.status}, not training; only a training run can be paused`,
        );
      }
      await stopTraining(runId, 'paused');
      queueChanged();
      return requireRun(runId);
    },

    resumeRun: ({ runId }) => {
      store.requeueRun(runId);
      runner.wake();
      queueChanged();
      runChanged(runId);
      return requireRun(runId);
    },

    cancelRun: async ({ runId }) => {
      // A run in training is stopped by the runner that trains it; any other goes through the store's rule.
      if (requireRun(runId).status === 'running') {
        await stopTraining(runId, 'cancelled');
      } else {
        store.cancelRun(runId);
        runChanged(runId);
      }
      queueChanged();
      return requireRun(runId);
    },

    getWorkers: () => workersSetting(),

    setWorkers: ({ workers }) => {
      store.setWorkersSetting(workers === null ? null : policy.check(workers));
      runner.wake();
      queueChanged();
      return workersSetting();
    },

    moveRun: ({ runId, toIndex }) => {
      store.moveRun(runId, toIndex);
      queueChanged();
      return queueState();
    },

    setRunNotes: ({ runId, notes }) => {
      requireRun(runId);
      store.setRunNotes(runId, notes);
      runChanged(runId);
      return requireRun(runId);
    },

    setRunTags: ({ runId, tags }) => {
      requireRun(runId);
      store.setRunTags(runId, [...new Set(tags)]);
      runChanged(runId);
      return requireRun(runId);
    },

    getEpochMetrics: ({ runIds }) => {
      for (const id of runIds) requireRun(id);
      return store.getEpochMetrics(runIds);
    },

    getLatentStats: ({ runId }) => {
      requireRun(runId);
      return store.getLatentStats(runId);
    },

    getEpochImages: ({ runId, epoch }): EpochImagesData | null => {
      requireRun(runId);
      const images = store.getEpochImages(runId, epoch);
      return images ? { runId, epoch, ...images } : null;
    },

    listCheckpoints: ({ runId }) => {
      requireRun(runId);
      return store.listCheckpoints(runId);
    },
  };
}
