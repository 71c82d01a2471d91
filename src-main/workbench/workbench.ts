import type { Database } from 'better-sqlite3';
import { openDatabase } from '../store/db';
import { latestRunBackend } from '../store/runs';
import { QueueRunner } from '../queue/runner';
import type { SpawnTraining } from '../queue/types';
import { createLatentHandlers } from '../latent/handlers';
import { LatentService, type SpawnLatent } from '../latent/service';
import type { MethodInput, MethodName, MethodOutput, RemoteWorkerInfo } from '../../src-shared/api';
import { createDispatcher, type Dispatch } from '../api/dispatcher';
import { EventHub } from '../api/events';
import { createReportHandlers } from './report';
import { createImportHandlers } from './import-dataset';
import { createNllHandlers, NllJobs } from './nll';
import { bindStore } from './store-binding';
import { createHandlers, queueStateOf, workersInForce, workersPolicy } from './use-cases';
import { automaticWorkers } from '../queue/workers';
import { getBackendSetting, setBackendSetting } from '../store/settings';
import { backendSetting } from './backend-setting';

export interface WorkbenchOptions {
  dbPath: string;
  spawn: SpawnTraining;
  /** Starts the process that decodes and encodes for the latent views (on the first such request). */
  spawnLatent: SpawnLatent;
  transport: 'ipc' | 'http';
  version: string;
  /** Force a TF.js backend for every run; null picks the best available. */
  backend?: string | null;
  /** Runs to train at once, from the command line (`--workers N`); null: the stored setting, else automatic. */
  workers?: number | null;
  /**
   * Work the queue in the background from the start (the app). false leaves the runner idle until told (the CLI's
   * `run` works the queue in the foreground; its other commands never train).
   */
  workQueue?: boolean;
  /** The desktop app's folder dialog (saveReport); browser mode and the CLI have none. */
  chooseFolder?: (title: string) => Promise<string | null>;
  /**
   * Training happens on workers over Redis: publish up to this many runs as jobs at once, whatever this machine's
   * cores (read again whenever a run ends: the coordinator's count of what the live workers train at once).
   */
  remoteSlots?: number | (() => number);
  /** The workers over Redis, for the Queue view. */
  remoteWorkers?: () => Promise<RemoteWorkerInfo[]>;
}

/**
 * The store, the queue runner and the use cases over them: what the Electron main, the browser-mode server and the
 * CLI share. Every door calls the use cases through `dispatch` (the CLI through `call`, its typed form).
 */
export interface Workbench {
  db: Database;
  dbPath: string;
  runner: QueueRunner;
  events: EventHub;
  latent: LatentService;
  dispatch: Dispatch;
  call<M extends MethodName>(method: M, input: MethodInput<M>): Promise<MethodOutput<M>>;
  close(): Promise<void>;
}

export function openWorkbench(opts: WorkbenchOptions): Workbench {
  const db = openDatabase(opts.dbPath);
  const store = bindStore(db);
  // The automatic number depends on the backend: the one forced, else the one the latest run trained on.
  const lastBackend = (): string | null => opts.backend ?? latestRunBackend(db);
  const policy = workersPolicy(opts.backend ?? null, opts.workers ?? null);
  policy.automatic = () => automaticWorkers(lastBackend(), policy.cores);
  const runner = new QueueRunner({
    db,
    dbPath: opts.dbPath,
    spawn: opts.spawn,
    backend: opts.backend ?? null,
    workers: opts.remoteSlots ?? (() => workersInForce(store, policy)),
  });
  const events = new EventHub();
  const latent = new LatentService({ dbPath: opts.dbPath, spawn: opts.spawnLatent });
  const backend = backendSetting({
    runner,
    latent,
    saved: { get: () => getBackendSetting(db), set: (p) => setBackendSetting(db, p) },
    startupBackend: opts.backend ?? null,
  });
  const nllJobs = new NllJobs({
    db,
    dbPath: opts.dbPath,
    spawn: opts.spawnLatent,
    backend: () => latent.backendPreference,
    emit: (progress) => events.emit('onNllProgress', progress),
  });
  const dispatch = createDispatcher({
    ...createHandlers({
      store,
      runner,
      events,
      info: { version: opts.version, dbPath: opts.dbPath, transport: opts.transport },
      workers: policy,
      backendSetting: backend,
      ...(opts.remoteWorkers ? { remoteWorkers: opts.remoteWorkers } : {}),
    }),
    ...createLatentHandlers(latent),
    ...createReportHandlers({ db, latent, version: opts.version, chooseFolder: opts.chooseFolder }),
    ...createImportHandlers({ db, events, chooseFolder: opts.chooseFolder }),
    ...createNllHandlers(nllJobs, db),
  });

  const queueState = () => queueStateOf(store, runner);
  const offs = [
    runner.onProgress((progress) => events.emit('onRunProgress', progress)),
    runner.onQueueChanged(() => events.emit('onQueueChanged', queueState())),
    runner.onRunChanged((runId) => events.emit('onRunChanged', { runId })),
  ];
  if (opts.workQueue ?? true) runner.start();

  let closed: Promise<void> | null = null;
  return {
    db,
    dbPath: opts.dbPath,
    runner,
    events,
    latent,
    dispatch,
    call: (method, input) => dispatch(method, input) as Promise<MethodOutput<typeof method>>,
    close: () =>
      (closed ??= (async () => {
        offs.forEach((off) => off());
        nllJobs.close();
        latent.close();
        await runner.shutdown();
        db.close();
      })()),
  };
}
