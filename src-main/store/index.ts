/** The SQLite store: open it once per process and pass the Database to these functions. */
export { openDatabase, migrate, SCHEMA_VERSION, type Database } from './db';
export { StoreError, type StoreErrorCode } from './errors';
export { createExperiment, listExperiments, getExperiment, findExperimentByName } from './experiments';
export {
  queueRuns,
  defaultRunNames,
  getRun,
  listRuns,
  claimNextRun,
  setRunBackend,
  markRunFinished,
  markRunFailed,
  markRunStopped,
  recoverOrphanedRuns,
  requeueRun,
  rewindRun,
  cancelRun,
  renameRun,
  setRunNotes,
  setRunTags,
  deleteRun,
  type QueueRunsInput,
  type RunFilter,
} from './runs';
export { getQueue, setQueuePaused, moveRun, type QueueState } from './queue';
export {
  recordEpoch,
  getEpochMetrics,
  getLatentStats,
  getEpochImages,
  getEpochTimings,
  type EpochTimingRecord,
} from './metrics';
export { listCheckpoints, loadCheckpoint, encodeArrays, decodeArrays } from './checkpoints';
export {
  saveImportedDataset,
  loadImportedDataset,
  listImportedDatasets,
  getImportedDatasetSources,
  deleteImportedDataset,
  type SaveImportedDatasetInput,
} from './datasets';
export { saveNllEstimate, listNllEstimates, type NllEstimate, type NllEstimateInput } from './nll';
