import type { Database } from 'better-sqlite3';
import { listDatasets } from '../catalog/datasets';
import { listCheckpoints } from '../store/checkpoints';
import { listExperiments } from '../store/experiments';
import { getEpochImages, getEpochMetrics, getLatentStats } from '../store/metrics';
import { getQueue, moveRun, setQueuePaused } from '../store/queue';
import { cancelRun, getRun, listRuns, queueRuns, requeueRun, setRunNotes, setRunTags } from '../store/runs';
import type { WorkbenchStore } from './use-cases';

/** The use cases' view of the SQLite store. */
export function bindStore(db: Database): WorkbenchStore {
  return {
    listDatasets: () => listDatasets(db),
    listExperiments: () => listExperiments(db),
    queueRuns: (experimentName, configs) => {
      const runs = queueRuns(db, { experimentName, configs });
      return { experimentId: runs[0].experimentId, runIds: runs.map((r) => r.id) };
    },
    listRuns: (filter) => listRuns(db, filter),
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
