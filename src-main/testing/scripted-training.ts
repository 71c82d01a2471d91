import type { ExperimentConfig } from '../../src-shared/config';
import type { FromWorker, ToWorker } from '../training/protocol';
import type { TrainingProcess } from '../queue/types';
import { syntheticEpoch } from './synthetic-runs';
import { checkpointFor } from './store-fixtures';

/** What a scripted training process does for one run: its test ELBO per epoch, or dying at an epoch. */
export interface TrainingScript {
  /** Test ELBO of epoch e (nats); default: the synthetic curve. */
  testElbo?: (epoch: number) => number;
  /** Die before sending this epoch (1 = before any), as a crash would: an exit code or a signal. */
  dieAt?: { epoch: number; code?: number; signal?: string };
  /** Wall time per epoch, ms. */
  epochMs?: number;
}

/**
 * A stand-in for the training process that speaks its protocol without TF.js: epochs of made-up metrics (each with a
 * resumable checkpoint), answering 'stop' between epochs, and dying on cue. `scriptFor` picks the script per run.
 */
export function scriptedTraining(scriptFor: (runId: number, config: ExperimentConfig) => TrainingScript): {
  spawn: () => TrainingProcess;
  /** Each start: the run, the epoch it resumed after, and the CPU threads it was given. */
  starts: { runId: number; resumedAfter: number; cpuThreads?: number }[];
} {
  const starts: { runId: number; resumedAfter: number; cpuThreads?: number }[] = [];
  let nextPid = 900_000;
  const spawn = (): TrainingProcess => {
    const messageListeners: ((m: FromWorker) => void)[] = [];
    const exitListeners: ((code: number | null, signal: string | null) => void)[] = [];
    let exited = false;
    let stopRequested = false;
    const emit = (m: FromWorker): void => {
      if (!exited) for (const l of messageListeners) l(m);
    };
    const exit = (code: number | null, signal: string | null): void => {
      if (exited) return;
      exited = true;
      setTimeout(() => exitListeners.forEach((l) => l(code, signal)), 0);
    };
    const pid = nextPid++;
    const start = async (message: Extract<ToWorker, { type: 'start' }>): Promise<void> => {
      const script = scriptFor(message.runId, message.config);
      const from = message.resumeFrom?.epoch ?? 0;
      starts.push({ runId: message.runId, resumedAfter: from, cpuThreads: message.cpuThreads });
      emit({ type: 'ready', backend: { backend: 'scripted', skipped: [] } });
      for (let epoch = from + 1; epoch <= message.config.epochs; epoch++) {
        await new Promise((r) => setTimeout(r, script.epochMs ?? 5));
        if (exited) return;
        if (stopRequested) return exit(0, null);
        if (script.dieAt && script.dieAt.epoch === epoch)
          return exit(script.dieAt.code ?? null, script.dieAt.signal ?? null);
        emit({ type: 'batch', epoch, batch: 1, batches: 1, recon: 100, kl: 10, loss: 110, examplesPerSec: 1000 });
        const result = syntheticEpoch(message.config, epoch, message.config.seed, false);
        if (script.testElbo) {
          const elbo = script.testElbo(epoch);
          result.test = { ...result.test, elbo, recon: -elbo - result.test.kl };
        }
        emit({ ...result, checkpoint: checkpointFor(epoch) });
      }
      emit({ type: 'finished' });
      exit(0, null);
    };
    return {
      pid,
      send(message: ToWorker) {
        if (exited) return;
        if (message.type === 'stop') stopRequested = true;
        else void start(message);
      },
      onMessage: (l) => void messageListeners.push(l),
      onExit: (l) => void exitListeners.push(l),
      kill: () => exit(null, 'SIGKILL'),
    };
  };
  return { spawn, starts };
}
