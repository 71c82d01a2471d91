import type { Database } from 'better-sqlite3';
import { openDatabase } from '../store/db';
import { QueueRunner } from '../queue/runner';
import type { SpawnTraining } from '../queue/types';
import { createLatentHandlers } from '../latent/handlers';
import { LatentService, type SpawnLatent } from '../latent/service';
import type { MethodInput, MethodName, MethodOutput } from '../../src-shared/api';
import { createDispatcher, type Dispatch } from '../api/dispatcher';
import { EventHub } from '../api/events';
import { createReportHandlers } from './report';
import { createImportHandlers } from './import-dataset';
import { bindStore } from './store-binding';
import { createHandlers } from './use-cases';

export interface WorkbenchOptions {
  dbPath: string;
  spawn: SpawnTraining;
  /** Starts the process that decodes and encodes for the latent views (on the first such request). */
  spawnLatent: SpawnLatent;
  transport: 'ipc' | 'http';
  version: string;
  /** Force a TF.js backend for every run; null picks the best available. */
  backend?: string | null;
  /**
   * Work the queue in the background from the start (the app). false leaves the runner idle until told (the CLI's
   * `run` works the queue in the foreground; its other commands never train).
   */
  workQueue?: boolean;
  /** The desktop app's folder dialog (saveReport); browser mode and the CLI have none. */
  chooseFolder?: (title: string) => Promise<string | null>;
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
  const runner = new QueueRunner({ db, dbPath: opts.dbPath, spawn: opts.spawn, backend: opts.backend ?? null });
  const events = new EventHub();
  const store = bindStore(db);
  const latent = new LatentService({ dbPath: opts.dbPath, spawn: opts.spawnLatent });
  const dispatch = createDispatcher({
    ...createHandlers({
      store,
      runner,
      events,
      info: { version: opts.version, dbPath: opts.dbPath, transport: opts.transport },
    }),
    ...createLatentHandlers(latent),
    ...createReportHandlers({ db, latent, version: opts.version, chooseFolder: opts.chooseFolder }),
    ...createImportHandlers({ db, events, chooseFolder: opts.chooseFolder }),
  });

  const queueState = () => {
    const { paused, runIds } = store.getQueue();
    return { paused, runIds, activeRunId: runner.activeRunId };
  };
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
        latent.close();
        await runner.shutdown();
        db.close();
      })()),
  };
}
