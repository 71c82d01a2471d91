import type { Database } from 'better-sqlite3';
import { defaultConfig, type ExperimentConfig } from '../../src-shared/config';
import type { SplitMetrics } from '../../src-shared/runs';
import { recordEpoch } from '../store/metrics';
import { claimNextRun, markRunFinished, queueRuns, setRunBackend } from '../store/runs';
import type { EpochResult, FromWorker, ToWorker } from '../training/protocol';
import type { TrainingProcess } from '../queue/types';

/**
 * Made-up but plausible training results, for tests and the UI benchmark: curves that fall like a VAE's
 * (reconstruction down, KL up then flat, more KL for smaller β), and 28 × 28 image strips with structure.
 * Never used for a real run.
 */
export function syntheticEpoch(config: ExperimentConfig, epoch: number, seed = 0, withImages = true): EpochResult {
  const decay = Math.exp(-epoch / 8);
  const klScale = config.autoencoder ? 0 : 25 / (1 + config.beta);
  const split = (offset: number): SplitMetrics => {
    const recon = 80 + 120 * decay + offset + (seed % 7) * 0.3;
    const kl = klScale * (1 - decay * 0.8) + config.latentDim * 0.05;
    return { recon, kl, betaKl: config.beta * kl, elbo: -(recon + kl), loss: config.alpha * recon + config.beta * kl };
  };
  const side = 28;
  const image = (k: number, phase: number): Uint8Array => {
    const a = new Uint8Array(side * side);
    for (let y = 0; y < side; y++) {
      for (let x = 0; x < side; x++) {
        const r = Math.hypot(x - 14 + Math.sin(k + phase) * 3, y - 14 + Math.cos(k) * 3);
        a[y * side + x] = r > 5 + (k % 3) && r < 9 + (k % 4) ? 255 - Math.min(200, epoch * 4 * phase) : 0;
      }
    }
    return a;
  };
  const count = withImages ? 8 : 0;
  const klPerDim = Array.from({ length: config.latentDim }, (_, j) => (j < 4 ? klScale / 4 : 0.001));
  return {
    type: 'epoch',
    epoch,
    beta: config.beta,
    train: split(-2),
    test: split(0),
    klPerDim,
    muVariancePerDim: klPerDim.map((kl) => (kl > 0.01 ? 0.5 : 0.0001)),
    activeUnits: klPerDim.filter((kl) => kl > 0.01).length,
    wallTimeSec: 1.5,
    examplesPerSec: 4000,
    numTensors: 42,
    images: {
      width: side,
      height: side,
      inputs: Array.from({ length: count }, (_, k) => image(k, 0)),
      reconstructions: Array.from({ length: count }, (_, k) => image(k, 0.5)),
      samples: Array.from({ length: count }, (_, k) => image(k + 3, 1)),
    },
    checkpoint: null,
  };
}

/** Fills a store with finished runs (a sweep over β × latent dimension × seed) without training anything. */
/** Image strips are stored for the last epoch only unless `imagesEveryEpoch`: 50,000 epochs of strips would be ~1 GB. */
export function addSyntheticRuns(
  db: Database,
  opts: { runs: number; epochs: number; experimentName?: string; imagesEveryEpoch?: boolean },
): number[] {
  const betas = [0, 0.5, 1, 2, 4, 8, 16, 32];
  const latents = [2, 5, 10, 20, 32];
  const configs: ExperimentConfig[] = Array.from({ length: opts.runs }, (_, i) => ({
    ...defaultConfig,
    beta: betas[i % betas.length],
    latentDim: latents[Math.floor(i / betas.length) % latents.length],
    seed: Math.floor(i / (betas.length * latents.length)),
    epochs: opts.epochs,
  }));
  const ids: number[] = [];
  for (let start = 0; start < configs.length; start += 200) {
    const batch = configs.slice(start, start + 200);
    const runs = queueRuns(db, {
      experimentName: `${opts.experimentName ?? 'synthetic sweep'} ${Math.floor(start / 200) + 1}`,
      configs: batch,
    });
    for (const run of runs) {
      const claimed = claimNextRun(db, process.pid);
      if (!claimed || claimed.id !== run.id)
        throw new Error(`expected to claim run ${run.id}; the queue held something else`);
      setRunBackend(db, run.id, {
        backend: 'wasm',
        skipped: [{ backend: 'tensorflow', reason: '@tensorflow/tfjs-node is not installed' }],
      });
      for (let epoch = 1; epoch <= opts.epochs; epoch++)
        recordEpoch(
          db,
          run.id,
          syntheticEpoch(run.config, epoch, run.id, opts.imagesEveryEpoch === true || epoch === opts.epochs),
        );
      markRunFinished(db, run.id);
      ids.push(run.id);
    }
  }
  return ids;
}

/**
 * A training process that trains nothing: it reports synthetic epochs every `epochMs` and honours stop; a run with
 * learning rate ≥ 0.5 fails in epoch 2, as a diverging run does.
 */
export function syntheticTraining(opts: { epochMs: number; batches?: number }): TrainingProcess {
  const messageListeners: ((m: FromWorker) => void)[] = [];
  const exitListeners: ((code: number | null, signal: string | null) => void)[] = [];
  let timer: ReturnType<typeof setTimeout> | null = null;
  let exited = false;
  const emit = (m: FromWorker): void => messageListeners.forEach((l) => l(m));
  const exit = (code: number | null, signal: string | null): void => {
    if (exited) return;
    exited = true;
    if (timer) clearTimeout(timer);
    setTimeout(() => exitListeners.forEach((l) => l(code, signal)), 0);
  };
  const batches = opts.batches ?? 4;
  return {
    pid: undefined,
    send(message: ToWorker) {
      if (message.type === 'stop') return exit(0, null);
      const { config } = message;
      let epoch = message.resumeFrom ? message.resumeFrom.epoch + 1 : 1;
      let batch = 0;
      // Like a real child, nothing arrives before the parent has subscribed.
      setTimeout(
        () =>
          emit({
            type: 'ready',
            backend: { backend: 'synthetic', skipped: [{ backend: 'wasm', reason: 'a synthetic run for tests' }] },
          }),
        0,
      );
      const step = (): void => {
        if (exited) return;
        batch += 1;
        emit({ type: 'batch', epoch, batch, batches, recon: 100, kl: 10, loss: 110, examplesPerSec: 1000 });
        // A learning rate this high diverges in real training too: fail the way the trainer reports it.
        if (config.learningRate >= 0.5 && epoch === 2) {
          emit({ type: 'failed', epoch, message: `loss is NaN (learning rate ${config.learningRate} is too high)` });
          return exit(1, null);
        }
        if (batch === batches) {
          emit(syntheticEpoch(config, epoch));
          batch = 0;
          epoch += 1;
          if (epoch > config.epochs) {
            emit({ type: 'finished' });
            return exit(0, null);
          }
        }
        timer = setTimeout(step, opts.epochMs / batches);
      };
      timer = setTimeout(step, opts.epochMs / batches);
    },
    onMessage(listener) {
      messageListeners.push(listener);
    },
    onExit(listener) {
      exitListeners.push(listener);
    },
    kill() {
      exit(null, 'SIGKILL');
    },
  };
}
