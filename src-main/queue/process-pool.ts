import type { FromWorker, ToWorker } from '../training/protocol';
import type { SpawnTraining, TrainingProcess } from './types';
import { availableParallelism } from 'node:os';

/** The cores each of `runsAtOnce` training processes may use for its matrix products: the machine's, shared evenly. */
export function cpuThreadsPerRun(runsAtOnce: number, cores: number = availableParallelism()): number {
  return Math.max(1, Math.floor(cores / Math.max(1, runsAtOnce)));
}

/**
 * Training processes kept across runs. A run leases a process; to the run the lease is a TrainingProcess like any
 * other, which "exits" (code 0) when the process says 'idle' at the end of the run. The process then waits in the
 * pool for the next run with the same backend request, so a sweep pays the start-up (TF.js import, backend probe,
 * dataset read) once per slot rather than once per run. A process that exits, is killed, or was not asked to stay
 * (an older or a remote slot never says 'idle') ends its lease as before. The queue runner and the Redis worker both
 * lease from one.
 */
export interface ProcessPoolOptions {
  spawn: SpawnTraining;
  /** Whether one more process may wait for a run, given how many wait now. */
  canKeep: (idle: number) => boolean;
  /** How long a process waits for its next run before it is ended, ms. */
  keepIdleMs?: number;
  /** false: every run gets a new process that exits after it, as before processes were kept. */
  reuse?: boolean;
}

interface Pooled {
  process: TrainingProcess;
  backendKey: string;
  lease: Lease | null;
  exited: boolean;
  idleTimer: ReturnType<typeof setTimeout> | null;
}

interface Lease {
  messageListeners: ((message: FromWorker) => void)[];
  exitListeners: ((code: number | null, signal: string | null) => void)[];
  ended: boolean;
}

export class TrainingProcessPool {
  private readonly idle = new Set<Pooled>();
  private readonly keepIdleMs: number;
  private readonly reuse: boolean;
  /** Processes started so far (bench:sweep and tests). */
  processesStarted = 0;

  constructor(private readonly options: ProcessPoolOptions) {
    this.keepIdleMs = options.keepIdleMs ?? 30_000;
    this.reuse = options.reuse ?? true;
  }

  get idleProcesses(): number {
    return this.idle.size;
  }

  /** A process for one run: a waiting one started with the same backend request, else a new one. */
  lease(backendKey: string): TrainingProcess {
    const pooled = this.take(backendKey) ?? this.start(backendKey);
    const lease: Lease = { messageListeners: [], exitListeners: [], ended: false };
    pooled.lease = lease;
    return {
      get pid() {
        return pooled.process.pid;
      },
      send: (message: ToWorker) => {
        if (lease.ended) return;
        pooled.process.send(message.type === 'start' && this.reuse ? { ...message, keepAlive: true } : message);
      },
      onMessage: (listener) => void lease.messageListeners.push(listener),
      onExit: (listener) => void lease.exitListeners.push(listener),
      kill: () => {
        if (!lease.ended) pooled.process.kill();
      },
    };
  }

  /** Ends every waiting process (the sweep is over, or the app closes). */
  endIdle(): void {
    for (const pooled of [...this.idle]) this.end(pooled);
  }

  private take(backendKey: string): Pooled | null {
    for (const pooled of this.idle) {
      if (pooled.exited || pooled.backendKey !== backendKey) continue;
      this.idle.delete(pooled);
      if (pooled.idleTimer !== null) clearTimeout(pooled.idleTimer);
      pooled.idleTimer = null;
      return pooled;
    }
    // A waiting process for another backend would only hold memory.
    this.endIdle();
    return null;
  }

  private start(backendKey: string): Pooled {
    this.processesStarted += 1;
    const pooled: Pooled = {
      process: this.options.spawn(),
      backendKey,
      lease: null,
      exited: false,
      idleTimer: null,
    };
    pooled.process.onMessage((message) => {
      const lease = pooled.lease;
      if (!lease || lease.ended) return;
      if (message.type !== 'idle') {
        for (const listener of lease.messageListeners) listener(message);
        return;
      }
      // The run is over and the process waits for another: to the run, as if it had exited normally.
      this.endLease(pooled, 0, null);
      if (this.options.canKeep(this.idle.size)) this.park(pooled);
      else pooled.process.kill();
    });
    pooled.process.onExit((code, signal) => {
      pooled.exited = true;
      this.end(pooled);
      this.endLease(pooled, code, signal);
    });
    return pooled;
  }

  private endLease(pooled: Pooled, code: number | null, signal: string | null): void {
    const lease = pooled.lease;
    pooled.lease = null;
    if (!lease || lease.ended) return;
    lease.ended = true;
    for (const listener of lease.exitListeners) listener(code, signal);
  }

  private park(pooled: Pooled): void {
    this.idle.add(pooled);
    pooled.idleTimer = setTimeout(() => this.end(pooled), this.keepIdleMs);
    pooled.idleTimer.unref?.();
  }

  private end(pooled: Pooled): void {
    this.idle.delete(pooled);
    if (pooled.idleTimer !== null) clearTimeout(pooled.idleTimer);
    pooled.idleTimer = null;
    if (!pooled.exited && pooled.lease === null) pooled.process.kill();
  }
}
