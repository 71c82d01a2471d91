import type { MethodInput, MethodInputParsed, MethodOutput } from '../../src-shared/api';
import type { LatentMethodName } from '../../src-shared/latent';
import type { BackendInfo } from '../../src-shared/runs';
import type { BackendPreference } from '../../src-shared/backends';
import { ApiError } from '../../src-shared/api';
import type { ChildHandle } from '../child/handle';
import { LatentError, type FromLatent, type ToLatent } from './protocol';

/**
 * Main's side of the latent process: request(method, input) for any latent method of the contract, a promise
 * answered by id. The process is started
 * on the first request, and again on the next request after it died (requests in flight then fail with a message
 * that says so). Each request has a time limit; a request that overruns it restarts the process, since a stuck
 * TF.js call cannot be interrupted any other way.
 */

/** The latent process, whatever starts it: child_process.fork (CLI, browser mode, tests) or Electron's utilityProcess. */
export type LatentProcess = ChildHandle<ToLatent, FromLatent>;

/**
 * Starts a latent process that reads the store at dbPath, on the backend asked for (absent: the environment's, else
 * the best available).
 */
export type SpawnLatent = (dbPath: string, backend?: BackendPreference) => LatentProcess;

export interface LatentServiceOptions {
  dbPath: string;
  spawn: SpawnLatent;
  /** Per request, ms; the first request also waits for TF.js to start and the checkpoint to load. Default 60 s. */
  timeoutMs?: number;
}

interface Pending {
  child: LatentProcess;
  method: LatentMethodName;
  resolve: (result: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

export class LatentService {
  private child: LatentProcess | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private fatal: LatentError | null = null;
  private closed = false;
  private backendInfo: BackendInfo | null = null;
  private preference: BackendPreference | undefined;
  /** Processes started so far (a restart adds one). */
  starts = 0;

  constructor(private readonly options: LatentServiceOptions) {}

  /** The TF.js backend the latent process runs on; null before it has started. */
  get backend(): BackendInfo | null {
    return this.backendInfo;
  }

  /** The backend preference the latent processes start on (undefined: the environment's). */
  get backendPreference(): BackendPreference | undefined {
    return this.preference === undefined ? undefined : { ...this.preference };
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /**
   * The backend the latent views decode on, following the runs' preference. A change ends the running process (its
   * requests in flight fail, saying why); the next request starts one on the new backend.
   */
  setBackendPreference(preference: BackendPreference): void {
    const previous = this.preference;
    this.preference = { ...preference };
    if (
      previous === undefined ||
      (previous.backend === preference.backend && previous.allowSoftwareGpu === preference.allowSoftwareGpu)
    ) {
      return;
    }
    const child = this.child;
    if (child === null) return;
    this.child = null;
    this.backendInfo = null;
    this.failAll(child, `the backend preference changed to ${preference.backend}; the latent process restarts on it`);
    child.kill();
  }

  /** Runs one latent method in the latent process; the input is validated there, so raw or parsed input both do. */
  request<M extends LatentMethodName>(
    method: M,
    input: MethodInput<M> | MethodInputParsed<M>,
    timeoutMs = this.options.timeoutMs ?? 60_000,
  ): Promise<MethodOutput<M>> {
    if (this.closed)
      return Promise.reject(new LatentError('LatentProcessError', `${method}: the latent service is closed`));
    const child = this.process();
    const id = this.nextId++;
    return new Promise<MethodOutput<M>>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (!this.pending.delete(id)) return;
        reject(
          new LatentError(
            'LatentProcessError',
            `${method} took longer than ${timeoutMs} ms; the latent process is restarted`,
          ),
        );
        this.restart(child);
      }, timeoutMs);
      this.pending.set(id, { child, method, resolve: resolve as (result: unknown) => void, reject, timer });
      child.send({ id, method, input });
    });
  }

  /** Ends the latent process; requests in flight fail. */
  close(): void {
    this.closed = true;
    const child = this.child;
    this.child = null;
    if (child) {
      this.failAll(child, 'the latent service was closed');
      child.kill();
    }
  }

  private process(): LatentProcess {
    if (this.child) return this.child;
    this.fatal = null;
    const child =
      this.preference === undefined
        ? this.options.spawn(this.options.dbPath)
        : this.options.spawn(this.options.dbPath, this.preference);
    this.starts++;
    this.child = child;
    child.onMessage((message) => this.receive(child, message));
    child.onExit((code, signal) => {
      if (this.child === child) this.child = null;
      const how = signal ? `was killed (${signal})` : `exited with code ${code}`;
      const why = this.fatal ? `: ${this.fatal.message}` : '';
      this.failAll(child, `the latent process ${how}${why}; it starts again on the next request`);
    });
    return child;
  }

  private receive(child: LatentProcess, message: FromLatent): void {
    if (child !== this.child) return;
    if (message.type === 'ready') {
      this.backendInfo = message.backend;
      return;
    }
    if (message.type === 'fatal') {
      this.fatal = new LatentError('LatentProcessError', message.error.message);
      return;
    }
    // Only the NLL estimate reports progress, and it runs in a process of its own (workbench/nll.ts).
    if (message.type === 'progress') return;
    const entry = this.pending.get(message.id);
    if (!entry) return;
    this.pending.delete(message.id);
    clearTimeout(entry.timer);
    if (message.ok) entry.resolve(message.result);
    else entry.reject(new ApiError(message.error.name, message.error.message));
  }

  private restart(child: LatentProcess): void {
    if (this.child === child) this.child = null;
    child.kill();
  }

  /** Fails the requests sent to this process: a process started since then keeps its own. */
  private failAll(child: LatentProcess, reason: string): void {
    for (const [id, entry] of this.pending) {
      if (entry.child !== child) continue;
      clearTimeout(entry.timer);
      entry.reject(new LatentError('LatentProcessError', `${entry.method} failed: ${reason}`));
      this.pending.delete(id);
    }
  }
}
