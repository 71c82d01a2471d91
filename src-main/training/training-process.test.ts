import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultConfig, type ExperimentConfig } from '../../src-shared/config';
import { builtinDatasetSource } from '../data/builtin';
import type { FromWorker, ToWorker } from './protocol';
import { rectanglesDataset } from '../testing/rectangles-dataset';
import { selectBackend } from './backend';
import { brokenNativeHost, fakeCandidates, removeBrokenNative } from '../testing/fake-backends';
import { runTrainingProcess, type TrainingProcessDeps, type WorkerPort } from './training-process';
import { forkChild } from '../child/fork';
import { FINAL_ACK_TIMEOUT_MS } from '../child/final-message';

const config: ExperimentConfig = {
  ...defaultConfig,
  dataset: 'rectangles',
  hiddenSizes: [32],
  latentDim: 2,
  batchSize: 50,
  epochs: 2,
  trainSubset: 200,
};
const source = {
  kind: 'idx-files',
  name: 'rectangles',
  trainImages: 'a',
  trainLabels: 'b',
  testImages: 'c',
  testLabels: 'd',
} as const;

/** Drives the message loop through an in-memory port and resolves with what it sent and its exit code. */
function drive(
  messages: ToWorker[],
  options: { stopAfterFirstBatch?: boolean; startBackend?: TrainingProcessDeps['startBackend'] } = {},
): Promise<{ sent: FromWorker[]; code: number; final: FromWorker[] }> {
  return new Promise((done) => {
    const sent: FromWorker[] = [];
    /** The messages sent as final (waiting for the parent's ack). */
    const final: FromWorker[] = [];
    let listener: ((m: ToWorker) => void) | null = null;
    const port: WorkerPort = {
      send: async (m) => {
        sent.push(m);
        if (options.stopAfterFirstBatch && m.type === 'batch' && sent.filter((s) => s.type === 'batch').length === 1)
          listener?.({ type: 'stop' });
      },
      sendFinal: async (m) => {
        sent.push(m);
        final.push(m);
        return true;
      },
      onMessage: (l) => (listener = l),
      exit: (code) => done({ sent, code, final }),
    };
    runTrainingProcess(port, {
      loadDataset: async () => rectanglesDataset({ train: 300, test: 50 }),
      startBackend: options.startBackend ?? selectBackend,
    });
    for (const m of messages) listener!(m);
  });
}

const start = (c: ExperimentConfig, backend = 'wasm'): Extract<ToWorker, { type: 'start' }> => ({
  type: 'start',
  runId: 1,
  config: c,
  dataset: source,
  resumeFrom: null,
  backend,
});

describe('training process message loop', () => {
  it('start → ready, batches, one epoch message per epoch, finished, exit 0', async () => {
    const { sent, code, final } = await drive([start(config)]);
    expect(code).toBe(0);
    // Acknowledged by the parent before the process exits, so it cannot be lost behind the exit.
    expect(final).toEqual([{ type: 'finished' }]);
    expect(sent[0]).toEqual({ type: 'ready', backend: { backend: 'wasm', skipped: [] } });
    expect(sent.filter((m) => m.type === 'epoch').map((m) => (m as { epoch: number }).epoch)).toEqual([1, 2]);
    expect(sent.some((m) => m.type === 'batch')).toBe(true);
    expect(sent[sent.length - 1]).toEqual({ type: 'finished' });
  });

  it('with native TensorFlow broken as on Node ≥ 23, auto skips it with the reason and trains on the next backend', async () => {
    try {
      const { sent, code } = await drive([start(config, 'auto')], {
        startBackend: (preferred, options) =>
          selectBackend(preferred, { ...options, host: brokenNativeHost(), candidates: fakeCandidates }),
      });
      expect(code).toBe(0);
      expect(sent[0]).toEqual({
        type: 'ready',
        backend: {
          backend: 'cpu',
          skipped: [
            {
              backend: 'tensorflow (CPU)',
              reason: '@tensorflow/tfjs-node: its first op failed: util_1.isNullOrUndefined is not a function',
            },
            { backend: 'webgpu', reason: "the 'webgpu' package is not installed" },
          ],
        },
      });
      expect(sent[sent.length - 1]).toEqual({ type: 'finished' });
    } finally {
      removeBrokenNative();
      await selectBackend('wasm');
    }
  });

  it('stop: ends after the current batch, no finished message, exit 0', async () => {
    const { sent, code } = await drive([start(config)], { stopAfterFirstBatch: true });
    expect(code).toBe(0);
    expect(sent.map((m) => m.type)).not.toContain('finished');
    expect(sent.map((m) => m.type)).not.toContain('epoch');
  });

  it('a diverging run sends failed with the epoch and exits 1', async () => {
    const { sent, code } = await drive([
      start({ ...config, hiddenSizes: [256, 256, 256, 256], learningRate: 1, trainSubset: 100 }),
    ]);
    expect(code).toBe(1);
    const failed = sent[sent.length - 1];
    expect(failed.type).toBe('failed');
    if (failed.type === 'failed') expect(failed.message).toContain(`epoch ${failed.epoch}`);
  });

  it('a run that cannot start (bad subset) is reported as failed, exit 1', async () => {
    const { sent, code } = await drive([start({ ...config, trainSubset: 10_000 })]);
    expect(code).toBe(1);
    expect(sent[sent.length - 1]).toMatchObject({
      type: 'failed',
      message: expect.stringMatching(/trainSubset = 10000 exceeds/),
    });
  });

  it('refuses a second start and unknown messages (exit 2)', async () => {
    const { sent, code } = await drive([{ type: 'bogus' } as unknown as ToWorker]);
    expect(code).toBe(2);
    expect(sent[0]).toMatchObject({ type: 'failed', message: expect.stringMatching(/unknown message type "bogus"/) });
  });
});

/** A process kept across runs, driven through an in-memory port: each start waits for the previous run's 'idle'. */
async function driveKeptAlive(
  starts: ToWorker[],
  options: { stopWhileIdle?: boolean } = {},
): Promise<{ runs: FromWorker[][]; exits: number[]; backendStarts: number; datasetLoads: number }> {
  const runs: FromWorker[][] = [];
  const exits: number[] = [];
  let current: FromWorker[] = [];
  let idle: () => void = () => undefined;
  let listener: ((m: ToWorker) => void) | null = null;
  let backendStarts = 0;
  let datasetLoads = 0;
  const port: WorkerPort = {
    send: async (m) => {
      if (m.type === 'idle') idle();
      else current.push(m);
    },
    sendFinal: async (m) => {
      current.push(m);
      return true;
    },
    onMessage: (l) => (listener = l),
    exit: (code) => void exits.push(code),
  };
  runTrainingProcess(port, {
    loadDataset: async () => {
      datasetLoads += 1;
      return rectanglesDataset({ train: 300, test: 50 });
    },
    startBackend: async (preferred, opts) => {
      backendStarts += 1;
      return selectBackend(preferred, opts);
    },
    profiler: null,
  });
  for (const start of starts) {
    current = [];
    const ran = new Promise<void>((resolve) => (idle = resolve));
    listener!(start);
    await ran;
    runs.push(current);
    if (options.stopWhileIdle) listener!({ type: 'stop' });
  }
  return { runs, exits, backendStarts, datasetLoads };
}

const epochNumbers = (sent: FromWorker[]) =>
  sent.flatMap((m) =>
    m.type === 'epoch' ? [{ epoch: m.epoch, train: m.train, test: m.test, klPerDim: m.klPerDim }] : [],
  );

describe('a training process kept across runs', () => {
  it('trains successive runs with one backend start and one dataset read, each as a fresh process would', async () => {
    const first = { ...config, seed: 3 };
    const second = { ...config, seed: 4, hiddenSizes: [16] };
    const kept = await driveKeptAlive([
      { ...start(first), keepAlive: true },
      { ...start(second), runId: 2, keepAlive: true },
    ]);
    expect(kept.exits).toEqual([]);
    expect(kept.backendStarts).toBe(1);
    expect(kept.datasetLoads).toBe(1);
    expect(kept.runs.map((sent) => sent[sent.length - 1])).toEqual([{ type: 'finished' }, { type: 'finished' }]);
    // The second run's numbers are those of the same run alone in a new process: nothing carries over.
    const alone = await drive([start(second)]);
    expect(epochNumbers(kept.runs[1])).toEqual(epochNumbers(alone.sent));
    expect(epochNumbers(kept.runs[1])).toHaveLength(2);
    // No tensor is left behind by the first run.
    const tensors = (sent: FromWorker[]) => sent.flatMap((m) => (m.type === 'epoch' ? [m.numTensors] : []));
    expect(tensors(kept.runs[1])).toEqual(tensors(alone.sent));
  });

  it('a stop that arrives between runs is ignored; a resumed run continues exactly as the uninterrupted one', async () => {
    const whole = await drive([start(config)]);
    const epochOne = whole.sent.find((m) => m.type === 'epoch' && m.epoch === 1);
    if (epochOne?.type !== 'epoch' || !epochOne.checkpoint) throw new Error('no checkpoint after epoch 1');
    const kept = await driveKeptAlive(
      [
        { ...start({ ...config, seed: 9 }), keepAlive: true },
        { ...start(config), resumeFrom: epochOne.checkpoint, keepAlive: true },
      ],
      { stopWhileIdle: true },
    );
    expect(kept.exits).toEqual([]);
    expect(epochNumbers(kept.runs[1])).toEqual(epochNumbers(whole.sent).filter((e) => e.epoch === 2));
  });
});

const built = resolve(__dirname, '../../out/main/training-worker.js');

describe.skipIf(!existsSync(built))(
  'the built worker under child_process.fork (needs `npx electron-vite build`)',
  () => {
    it('finds its wasm files, trains an MNIST subset and exits once its parent has its finished message', async () => {
      // Through the child kit, as the queue runner starts it: the kit acknowledges the final message.
      const child = forkChild<ToWorker, FromWorker>(built);
      const sent: FromWorker[] = [];
      let finishedAt = 0;
      child.onMessage((m) => {
        sent.push(m);
        if (m.type === 'finished') finishedAt = performance.now();
      });
      const exited = new Promise<number | null>((r) => child.onExit((code) => r(code)));
      child.send({
        type: 'start',
        runId: 1,
        config: {
          ...defaultConfig,
          hiddenSizes: [64],
          latentDim: 2,
          epochs: 1,
          trainSubset: 500,
          testSubset: 100,
          binarization: 'dynamic',
        },
        dataset: builtinDatasetSource('mnist'),
        resumeFrom: null,
        backend: null,
      } satisfies ToWorker);
      expect(await exited).toBe(0);
      expect(sent[0]).toMatchObject({ type: 'ready', backend: { backend: 'blas' } });
      const epoch = sent.find((m) => m.type === 'epoch');
      expect(epoch?.type === 'epoch' && epoch.checkpoint?.weights[0].data).toBeInstanceOf(Float32Array);
      expect(sent[sent.length - 1]).toEqual({ type: 'finished' });
      // Acknowledged at once, so the process did not wait out the ack's time limit.
      expect(performance.now() - finishedAt).toBeLessThan(FINAL_ACK_TIMEOUT_MS / 2);
    });

    it('exits when its parent disconnects', async () => {
      const child = fork(built, [], { serialization: 'advanced', stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
      const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
      await new Promise((r) => setTimeout(r, 200));
      child.disconnect();
      expect(await exited).toBe(3);
    });
  },
);
