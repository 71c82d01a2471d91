import {
  ApiError,
  type DatasetChoice,
  type EpochImagesData,
  type QueueState,
  type WorkbenchInfo,
} from '../../src-shared/api';
import type { ExperimentConfig } from '../../src-shared/config';
import { expandSweep, type SweepSpec } from '../../src-shared/sweep';
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
import type { reportApi } from '../../src-shared/report';
import type { importApi } from '../../src-shared/import';
import type { EpochImages } from '../records';
import { backendOrder } from '../training/backend-order';

/**
 * What the use cases need from the store: plain typed objects in and out (bound to SQLite in store-binding.ts).
 * The store states the rules about run states (which runs can be resumed, cancelled, moved) and refuses the rest
 * with a StoreError 'conflict' naming the run, its status and the allowed statuses; the use cases do not restate them.
 */
export interface WorkbenchStore {
  listDatasets(): DatasetChoice[];
  listExperiments(): Experiment[];
  queueRuns(experimentName: string, configs: ExperimentConfig[]): { experimentId: number; runIds: number[] };
  listRuns(filter: { experimentId?: number; status?: RunStatus[] }): RunSummary[];
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
  wake(): void;
  stopRun(runId: number, as: 'paused' | 'cancelled'): Promise<void>;
}

export interface HandlerContext {
  store: WorkbenchStore;
  runner: RunnerControl;
  events: EventHub;
  info: { version: string; dbPath: string; transport: 'ipc' | 'http' };
}

/** The workbench's own use cases; the latent views' come from createLatentHandlers and are spread in beside them. */
export type WorkbenchHandlers = Omit<Handlers, keyof LatentHandlers | keyof typeof reportApi | keyof typeof importApi>;

export function createHandlers(ctx: HandlerContext): WorkbenchHandlers {
  const { store, runner, events } = ctx;

  const requireRun = (runId: number): RunSummary => {
    const run = store.getRun(runId);
    if (!run) throw new ApiError('NotFound', `runId = ${runId}: no such run`);
    return run;
  };

  const queueState = (): QueueState => {
    const { paused, runIds } = store.getQueue();
    return { paused, runIds, activeRunId: runner.activeRunId };
  };

  const queueChanged = (): void => events.emit('onQueueChanged', queueState());
  const runChanged = (runId: number): void => events.emit('onRunChanged', { runId });

  return {
    getInfo: (): WorkbenchInfo => {
      const recent = store.listRuns({}).filter((r) => r.backend !== null);
      const latest = recent.reduce<RunSummary | null>(
        (a, r) => (a === null || (r.startedAt ?? '') > (a.startedAt ?? '') ? r : a),
        null,
      );
      return {
        ...ctx.info,
        backend: latest ? { name: latest.backend ?? '', note: latest.backendNote, runId: latest.id } : null,
        backendOrder,
      };
    },

    listDatasets: () => store.listDatasets(),
    listExperiments: () => store.listExperiments(),

    queueSweep: ({ experimentName, sweep }) => {
      const configs = expandSweep(sweep as SweepSpec);
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
      const queued = store.queueRuns(experimentName, configs);
      runner.wake();
      queueChanged();
      for (const id of queued.runIds) runChanged(id);
      return queued;
    },

    listRuns: (filter) => store.listRuns(filter),
    getRun: ({ runId }) => requireRun(runId),
    getQueue: () => queueState(),

    setQueuePaused: ({ paused }) => {
      store.setQueuePaused(paused);
      if (!paused) runner.wake();
      queueChanged();
      return queueState();
    },

    pauseRun: async ({ runId }) => {
      const run = requireRun(runId);
      if (runner.activeRunId !== runId) {
        throw new ApiError(
          'StateError',
          `run ${runId} is ${run.status}, not training; only a training run can be paused`,
        );
      }
      await runner.stopRun(runId, 'paused');
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
      // The run in training is stopped by the runner; any other goes through the store's rule.
      if (runner.activeRunId === runId) {
        await runner.stopRun(runId, 'cancelled');
      } else {
        store.cancelRun(runId);
        runChanged(runId);
      }
      queueChanged();
      return requireRun(runId);
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
