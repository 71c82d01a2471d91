import type { Database } from 'better-sqlite3';
import { listDatasets } from '../catalog/datasets';
import { listCheckpoints } from '../store/checkpoints';
import { listExperiments } from '../store/experiments';
import { getEpochImages, getEpochMetrics, getLatentStats } from '../store/metrics';
import { getQueue, getWorkersSetting, moveRun, setQueuePaused, setWorkersSetting } from '../store/queue';
import {
  cancelRun,
  getRun,
  latestRunWithBackend,
  listRunColumns,
  listRuns,
  queueRuns,
  requestStop,
  requeueRun,
  setRunNotes,
  setRunTags,
} from '../store/runs';
import { recordSweep } from '../store/sweeps';
import { writeTransaction } from '../store/db';
import type { WorkbenchStore } from './use-cases';

/** The use cases' view of the SQLite store. */
export function bindStore(db: Database): WorkbenchStore {
  return {
    listDatasets: () => listDatasets(db),
    listExperiments: () => listExperiments(db),
    queueRuns: (experimentName, configs, options = {}) =>
      // The runs and the search that drew them are kept together or not at all.
      writeTransaction(db, () => {
        const runs = queueRuns(db, { experimentName, configs, earlyStop: options.earlyStop ?? null });
        const experimentId = runs[0].experimentId;
        if (options.search)
          recordSweep(db, experimentId, options.search.spec, options.search.samples, options.search.seed);
        return { experimentId, runIds: runs.map((r) => r.id) };
      }),
    requestStop: (runId, as) => void requestStop(db, runId, as),
    runningRunIds: () => listRuns(db, { status: ['running'] }).map((r) => r.id),
    getWorkersSetting: () => getWorkersSetting(db),
    setWorkersSetting: (workers) => setWorkersSetting(db, workers),
    listRuns: (filter) => listRunColumns(db, filter),
    latestRunWithBackend: () => latestRunWithBackend(db),
    getRun: (runId) => getRun(db, runId),
    cancelRun: (runId) => void cancelRun(db, runId),
    requeueRun: (runId) => void requeueRun(db, runId, 'front'),
    setRunNotes: (runId, notes) => void setRunNotes(db, runId, notes),
    setRunTags: (runId, tags) => void setRunTags(db, runId, tags),
    getQueue: () => getQueue(db),
    setQueuePaused: (paused) => void setQueuePaused(db, paused),
    moveRun: (runId, toIndex) => void moveRun(db, runId, toIndex),
    getEpochMetrics: (runIds) => getEpochMetrics(db, runIds),
    getLatentStats: (runId) => getLatentStats(db, runId),
    getEpochImages: (runId, epoch) => getEpochImages(db, runId, epoch),
    listCheckpoints: (runId) => listCheckpoints(db, runId),
  };
}
