import { z } from 'zod';
import {
  method,
  type ApiEvents,
  type EventName,
  type QueueState,
  type SpecInput,
  type SpecInputParsed,
  type SpecOutput,
} from './contract';
import { backendChoices, type BackendPreferenceInForce } from './backends';
import { latentApi } from './latent';
import { importApi, type DatasetChoice } from './import';
import { nllApi } from './nll';
import { reportApi } from './report';
import { sweepSpecSchema } from './sweep';
import type { RunList } from './run-list';
import {
  runStatuses,
  type CheckpointInfo,
  type EpochImages,
  type EpochMetrics,
  type Experiment,
  type LatentStats,
  type RunProgress,
  type RunSummary,
} from './runs';

/**
 * The workbench's API contract: every method the UI may call, with the zod schema its input must pass and the
 * type it returns, and every event it may listen to. Both transports (Electron IPC, HTTP in browser mode) carry
 * exactly this table, and the main side validates every input against it before anything runs.
 * Adding a method = one entry here + one handler in src-main/api/handlers.ts (a latent method: one entry in latentApi
 * + one function of src-main/latent/engine.ts). The events are declared in ./contract.ts.
 */

const runId = z.number().int().min(1);
const noInput = z.object({}).strict();

/** Tags are short labels a researcher types: letters, digits and - _ . : / = +, no spaces. */
export const TAG = /^[\p{L}\p{N}_.:/=+-]{1,40}$/u;

export interface WorkbenchInfo {
  version: string;
  dbPath: string;
  /**
   * The TF.js backend of the most recent run that reported one, its WebGPU adapter in words ("mesa software
   * llvmpipe (software adapter)") and why the better ones were skipped.
   */
  backend: { name: string; adapter: string | null; note: string | null; runId: number } | null;
  /**
   * What the next runs and the latent views ask for, and where that comes from: set at start-up (--backend,
   * VAE_WORKBENCH_BACKEND, for the session), the saved setting (setBackendPreference saves it), or the default.
   */
  backendPreference: BackendPreferenceInForce;
  /** Backend preference order tried by the training process, best first. */
  backendOrder: string[];
  /** 'ipc' in the desktop app, 'http' in browser mode. */
  transport: 'ipc' | 'http';
}

/** The image strips stored with one epoch of a run. */
export interface EpochImagesData extends EpochImages {
  runId: number;
  epoch: number;
}

export type { QueueState };
/** The payload of onRunProgress. */
export type RunProgressEvent = RunProgress;

export interface QueuedSweep {
  experimentId: number;
  runIds: number[];
  /** A random search's seed (given, or picked and recorded with the experiment); null for a grid. */
  searchSeed: number | null;
}

/** A worker over Redis (`vae-workbench worker`) as its last heartbeat describes it. */
export interface RemoteWorkerInfo {
  id: string;
  host: string;
  /** The backend (and WebGPU adapter) of its latest run; `auto` before its first. */
  backend: string;
  currentRunIds: number[];
  /** ISO time; a worker silent for three heartbeats drops out of the list. */
  lastHeartbeat: string;
}

/** How many runs train at once, and why. */
export interface WorkersSetting {
  /** In force now. */
  workers: number;
  /** What the researcher set (kept in the store); null: automatic. */
  setting: number | null;
  /** What automatic would choose here, and why. */
  automatic: number;
  reason: string;
  /** The largest number allowed on this machine. */
  max: number;
  cores: number;
  /** A number given on the command line (`serve --workers N`) wins over the setting until the app restarts. */
  override: number | null;
}

export const runFilterSchema = z
  .object({
    experimentId: z.number().int().min(1).optional(),
    status: z.array(z.enum(runStatuses)).max(runStatuses.length).optional(),
  })
  .strict();

/** The workbench's own methods; other views' entries (latentApi) are spread in below. */
const workbenchApi = {
  getInfo: method<WorkbenchInfo>()(noInput),
  listDatasets: method<DatasetChoice[]>()(noInput),
  listExperiments: method<Experiment[]>()(noInput),
  /** Expands the sweep (a single config is a sweep with no axes), validates every run, queues them all or none. */
  queueSweep: method<QueuedSweep>()(
    z
      .object({
        experimentName: z.string().trim().min(1, 'an experiment needs a name').max(200),
        sweep: sweepSpecSchema,
      })
      .strict(),
  ),
  /** Every run (or those the filter keeps), column by column: entriesFromRunList gives the entries. */
  listRuns: method<RunList>()(runFilterSchema),
  getRun: method<RunSummary>()(z.object({ runId }).strict()),
  getQueue: method<QueueState>()(noInput),
  setQueuePaused: method<QueueState>()(z.object({ paused: z.boolean() }).strict()),
  /**
   * The backend the next runs ask for: `auto` (the best that starts) or one by name, which fails the run naming why
   * if it cannot start; a software WebGPU adapter only with allowSoftwareGpu. A run in training keeps its backend.
   */
  setBackendPreference: method<BackendPreferenceInForce>()(
    z.object({ backend: z.enum(backendChoices), allowSoftwareGpu: z.boolean() }).strict(),
  ),
  /** Stops a run in training after its current batch (in this process or another); it keeps its epochs and can be resumed. */
  pauseRun: method<RunSummary>()(z.object({ runId }).strict()),
  /**
   * Puts a paused, interrupted, failed or cancelled run back at the FRONT of the queue (it trains next) and it
   * continues from its last checkpoint; the CLI's `resume` does the same.
   */
  resumeRun: method<RunSummary>()(z.object({ runId }).strict()),
  cancelRun: method<RunSummary>()(z.object({ runId }).strict()),
  /** How many runs train at once (each in its own training process). */
  getWorkers: method<WorkersSetting>()(noInput),
  /** Sets it (null: automatic, from the cores and the backend); checked against this machine's cores. */
  setWorkers: method<WorkersSetting>()(z.object({ workers: z.number().int().nullable() }).strict()),
  /** The workers over Redis training this workbench's runs (`run|serve --redis URL`); empty when it trains here. */
  listRemoteWorkers: method<RemoteWorkerInfo[]>()(noInput),
  /** Moves a queued run to a 0-based position among the queued runs. */
  moveRun: method<QueueState>()(z.object({ runId, toIndex: z.number().int().min(0) }).strict()),
  setRunNotes: method<RunSummary>()(z.object({ runId, notes: z.string().max(20_000) }).strict()),
  setRunTags: method<RunSummary>()(
    z
      .object({
        runId,
        tags: z.array(z.string().regex(TAG, 'a tag is 1–40 letters, digits or _ . : / = + -, without spaces')).max(32),
      })
      .strict(),
  ),
  getEpochMetrics: method<EpochMetrics[]>()(z.object({ runIds: z.array(runId).min(1).max(1000) }).strict()),
  getLatentStats: method<LatentStats[]>()(z.object({ runId }).strict()),
  /** The image strips stored with an epoch; null when that epoch has none. */
  getEpochImages: method<EpochImagesData | null>()(z.object({ runId, epoch: z.number().int().min(1) }).strict()),
  listCheckpoints: method<CheckpointInfo[]>()(z.object({ runId }).strict()),
} as const;

export const api = { ...workbenchApi, ...latentApi, ...reportApi, ...nllApi, ...importApi } as const;

export type Api = typeof api;
export type MethodName = keyof Api;
/** What a caller sends (schema defaults may be left out). */
export type MethodInput<M extends MethodName> = SpecInput<Api[M]>;
/** What a handler receives: the input after its schema. */
export type MethodInputParsed<M extends MethodName> = SpecInputParsed<Api[M]>;
export type MethodOutput<M extends MethodName> = SpecOutput<Api[M]>;

export const methodNames = Object.keys(api) as MethodName[];

export function isMethodName(name: unknown): name is MethodName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(api, name);
}

/** How an error crosses either transport: a name the UI can branch on and a message a researcher can act on. */
export interface ApiErrorData {
  name: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    override readonly name: string,
    message: string,
  ) {
    super(message);
  }
  toData(): ApiErrorData {
    return { name: this.name, message: this.message };
  }
}

/** The one interface the renderer talks to, whichever transport carries it. */
export interface WorkbenchClient {
  readonly transport: 'ipc' | 'http';
  call<M extends MethodName>(method: M, input: MethodInput<M>): Promise<MethodOutput<M>>;
  on<E extends EventName>(event: E, listener: (payload: ApiEvents[E]) => void): () => void;
  /** Browser mode only: the event stream dropped (false) or came back (true); events in between were missed. */
  onConnection?(listener: (connected: boolean) => void): () => void;
}

/**
 * What the desktop app's preload puts on `window.workbench`: a call into the contract and a subscription to its
 * events, nothing else. Untyped at this boundary on purpose: main validates every call against `api`.
 */
export type BridgeReply = { ok: true; result: unknown } | { ok: false; error: ApiErrorData };

export interface WorkbenchBridge {
  call(method: string, input: unknown): Promise<BridgeReply>;
  on(event: string, listener: (payload: unknown) => void): () => void;
}
