import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultConfig, type ExperimentConfig } from '../../src-shared/config';
import type { BackendInfo } from '../../src-shared/runs';
import type { CheckpointPayload, EpochResult } from '../records';
import { rectanglesDataset } from '../testing/rectangles-dataset';
import { selectBackend } from './backend';
import { conv3x3, conv4x4Stride2, upsample2 } from './conv';
import { dense } from './dense';
import { trainRun, type BatchProgress } from './trainer';
import { rectanglesConfig } from '../testing/wasm';

/**
 * WebGPU through Dawn, on whatever adapter this machine has: without a GPU that is Mesa ≥ 24 lavapipe (a software
 * adapter, allowed here explicitly), which is slow (first shader compiles take seconds, a reference step ~0.3 s), so
 * the models are small and the steps few. Results are compared with the cpu and wasm backends in the same process.
 */

const webgpu: BackendInfo | string = await selectBackend('webgpu', { allowSoftwareGpu: true }).catch(
  (error: unknown) => (error as Error).message,
);
const unavailable = typeof webgpu === 'string' ? webgpu : null;
if (unavailable !== null) console.warn(`webgpu suite skipped: ${unavailable}`);

afterAll(async () => {
  await selectBackend('wasm');
});

function relativeError(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b), 1e-12);
}

/** Runs f on a backend and reads every output back (asynchronously, as webgpu in Node needs). */
async function on(backend: 'webgpu' | 'cpu' | 'wasm', f: () => tf.Tensor[]): Promise<Float32Array[]> {
  await selectBackend(backend, { allowSoftwareGpu: true });
  const outputs = tf.tidy(f);
  try {
    return (await Promise.all(outputs.map((t) => t.data()))) as Float32Array[];
  } finally {
    tf.dispose(outputs);
  }
}

function pattern(n: number, scale: number, offset = 0): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => Math.sin(i * 1.7 + offset) * scale);
}

function expectClose(a: Float32Array[], b: Float32Array[], tolerance: number): void {
  expect(a.length).toBe(b.length);
  a.forEach((values, k) => {
    expect(values.length).toBe(b[k].length);
    let worst = 0;
    values.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - b[k][i]) / Math.max(1, Math.abs(b[k][i])))));
    expect(worst).toBeLessThan(tolerance);
  });
}

describe.skipIf(unavailable !== null)('the webgpu backend (Dawn)', () => {
  it('finds an adapter and records what it is', () => {
    const info = webgpu as BackendInfo;
    expect(info.backend).toBe('webgpu');
    expect(info.adapter).toBeDefined();
    expect(info.adapter!.vendor + info.adapter!.description).not.toBe('');
  });

  it('computes matMul, dense and conv gradients as the cpu backend does', async () => {
    const grads = (): tf.Tensor[] => {
      const x = tf.tensor2d(pattern(6 * 5, 1), [6, 5]);
      const W = tf.tensor2d(pattern(5 * 4, 0.5, 1), [5, 4]);
      const b = tf.tensor1d(pattern(4, 0.1, 2));
      const matMul = tf.grads((a: tf.Tensor, c: tf.Tensor) =>
        tf.sum(tf.square(tf.matMul(a as tf.Tensor2D, c as tf.Tensor2D))),
      )([x, W]);
      const denseGrads = tf.grads((a: tf.Tensor, w: tf.Tensor, c: tf.Tensor) =>
        tf.sum(tf.square(dense(a as tf.Tensor2D, w as tf.Tensor2D, c as tf.Tensor1D, { activation: 'relu' }))),
      )([x, W, b]);
      // Encoder and decoder convolutions as the model uses them: 4×4 stride 2, then ×2 upsample and 3×3.
      const image = tf.tensor4d(pattern(2 * 8 * 8 * 2, 1, 3), [2, 8, 8, 2]);
      const Wdown = tf.tensor2d(pattern(16 * 2 * 3, 0.3, 4), [16 * 2, 3]);
      const Wup = tf.tensor2d(pattern(9 * 3 * 2, 0.3, 5), [9 * 3, 2]);
      const bias3 = tf.tensor1d(pattern(3, 0.1, 6));
      const bias2 = tf.tensor1d(pattern(2, 0.1, 7));
      const convGrads = tf.grads((img: tf.Tensor, wd: tf.Tensor, wu: tf.Tensor) => {
        const down = conv4x4Stride2(img as tf.Tensor4D, wd as tf.Tensor2D, bias3, {
          activation: 'relu',
          inputNeedsGrad: true,
        });
        return tf.sum(tf.square(conv3x3(upsample2(down), wu as tf.Tensor2D, bias2, { activation: 'linear' })));
      })([image, Wdown, Wup]);
      return [...matMul, ...denseGrads, ...convGrads];
    };
    const cpu = await on('cpu', grads);
    const gpu = await on('webgpu', grads);
    expectClose(gpu, cpu, 1e-4);
  });

  // The reference MLP VAE (784-512-20) on 28×28 images, 20 steps of 32.
  const reference: ExperimentConfig = {
    ...defaultConfig,
    dataset: 'rectangles',
    hiddenSizes: [512],
    latentDim: 20,
    batchSize: 32,
    epochs: 1,
    learningRate: 1e-3,
  };
  const reference28 = rectanglesDataset({ train: 20 * 32, test: 32, height: 28, width: 28 });

  async function steps(backend: 'webgpu' | 'cpu' | 'wasm'): Promise<{ batches: BatchProgress[]; tensors: number[] }> {
    await selectBackend(backend, { allowSoftwareGpu: true });
    const before = tf.memory().numTensors;
    const batches: BatchProgress[] = [];
    const outcome = await trainRun({
      config: reference,
      dataset: reference28,
      resumeFrom: null,
      batchIntervalMs: 0,
      onBatch: (b) => batches.push(b),
    });
    expect(outcome.status).toBe('finished');
    return { batches, tensors: [before, tf.memory().numTensors] };
  }

  it('trains the reference model 20 steps with the losses of wasm and cpu (1e-4 relative), leaking no tensors', async () => {
    const gpu = await steps('webgpu');
    const wasm = await steps('wasm');
    const cpu = await steps('cpu');
    expect(gpu.batches).toHaveLength(20);
    for (const other of [wasm, cpu]) {
      expect(other.batches).toHaveLength(20);
      gpu.batches.forEach((b, i) => {
        expect(relativeError(b.loss, other.batches[i].loss)).toBeLessThan(1e-4);
        expect(relativeError(b.recon, other.batches[i].recon)).toBeLessThan(1e-4);
      });
    }
    // Training moved: the last running loss is below the first step's.
    expect(gpu.batches[19].loss).toBeLessThan(gpu.batches[0].loss);
    expect(gpu.tensors[1]).toBe(gpu.tensors[0]);
  });

  const tiny: ExperimentConfig = rectanglesConfig();
  const tinyData = rectanglesDataset({ train: 200, test: 50 });

  async function epochs(
    backend: 'webgpu' | 'wasm',
    config: ExperimentConfig,
    resumeFrom: CheckpointPayload | null = null,
  ): Promise<EpochResult[]> {
    await selectBackend(backend, { allowSoftwareGpu: true });
    const results: EpochResult[] = [];
    const outcome = await trainRun({ config, dataset: tinyData, resumeFrom, onEpoch: (r) => void results.push(r) });
    expect(outcome.status).toBe('finished');
    return results;
  }

  it('keeps the tensor count flat from epoch to epoch', async () => {
    const results = await epochs('webgpu', tiny);
    expect(results.map((r) => r.numTensors)).toEqual([results[0].numTensors, results[0].numTensors]);
  });

  it('writes checkpoints that resume on wasm as if the run had trained on wasm all along', async () => {
    const [first] = await epochs('webgpu', { ...tiny, epochs: 1 });
    expect(first.checkpoint).not.toBeNull();
    const [resumed] = await epochs('wasm', tiny, first.checkpoint);
    const uninterrupted = await epochs('wasm', tiny);
    expect(resumed.epoch).toBe(2);
    expect(relativeError(resumed.train.loss, uninterrupted[1].train.loss)).toBeLessThan(1e-4);
    expect(relativeError(resumed.test.loss, uninterrupted[1].test.loss)).toBeLessThan(1e-4);
  });
});
